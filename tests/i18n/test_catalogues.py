"""The message catalogues: every string of the public side translated into every language,
nothing fuzzy, placeholders and markup kept, plural forms right, and the .mo files the
install steps compile (GNU msgfmt, or Python alone on a machine without it) the same."""

import datetime
import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone, translation

from patients.views import waited
from scripts.compilemessages import parse_po, write_mo

ROOT = Path(__file__).resolve().parents[2]
# Django's locale folder names for settings.LANGUAGES (English is the source language).
FOLDERS = {"fr": "fr", "pa": "pa", "zh-hant": "zh_Hant", "zh-hans": "zh_Hans"}
PLURALS = {"fr": "nplurals=2; plural=(n > 1);", "pa": "nplurals=2; plural=(n != 1);",
           "zh-hant": "nplurals=1; plural=0;", "zh-hans": "nplurals=1; plural=0;"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|<[^>]+>")


def catalogue(code):
    return (ROOT / "locale" / FOLDERS[code] / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")


def entries(text):
    """(msgid, msgid_plural, [msgstr...], fuzzy) for each entry of a .po file."""
    out = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        fields, current = {}, None
        for line in lines:
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (".*")$', line)
            if match:
                current = match.group(1)
                fields[current] = eval(match.group(2))  # a C string literal, as Python reads it
            elif line.startswith('"') and current:
                fields[current] += eval(line)
        if "msgid" in fields:
            strs = [v for k, v in sorted(fields.items()) if k.startswith("msgstr")]
            out.append((fields["msgid"], fields.get("msgid_plural"), strs, fuzzy))
    return out


def test_every_language_of_the_settings_has_a_catalogue():
    codes = [code for code, _name in settings.LANGUAGES]
    assert codes[0] == settings.LANGUAGE_CODE == "en-ca"
    assert set(codes[1:]) == set(FOLDERS)


@pytest.mark.parametrize("code", sorted(FOLDERS))
def test_every_message_has_a_translation_and_nothing_is_fuzzy(code):
    found = entries(catalogue(code))
    header, messages = found[0], found[1:]
    assert header[0] == "" and not header[3], "the header must not be fuzzy"
    assert f"Plural-Forms: {PLURALS[code]}" in header[2][0]
    assert len(messages) > 200
    problems = []
    for msgid, plural, strs, fuzzy in messages:
        if fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        expected = int(PLURALS[code][9]) if plural else 1
        if len(strs) != expected or not all(s.strip() for s in strs):
            problems.append(f"untranslated: {msgid!r}")
        for s in strs:
            if sorted(PLACEHOLDER.findall(s)) != sorted(PLACEHOLDER.findall(msgid)):
                problems.append(f"placeholders or markup differ: {msgid!r} -> {s!r}")
    assert problems == []


@pytest.mark.parametrize("code", ["pa", "zh-hant", "zh-hans"])
def test_the_translations_are_written_in_their_script(code):
    """No English left standing in: a Punjabi or Chinese message is mostly Gurmukhi or Han,
    not the English msgid copied over (names, numbers and codes aside)."""
    script = {"pa": r"[\u0A00-\u0A7F]", "zh-hant": r"[\u4E00-\u9FFF]", "zh-hans": r"[\u4E00-\u9FFF]"}[code]
    latin_ok = {"ASL", "PHN", "BC", "CSV", "Attach", "Freedom", "of", "Information", "and", "Protection", "Privacy", "Act"}
    for msgid, _plural, strs, _fuzzy in entries(catalogue(code))[1:]:
        for s in strs:
            text = PLACEHOLDER.sub("", s)
            words = [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in latin_ok and "@" not in text]
            # Written in the script, or nothing but placeholders and punctuation ("%(date)s（%(weekday)s）").
            assert re.search(script, text) or not re.search(r"\w", text), f"{code}: {msgid!r} -> {s!r}"
            assert words == [] or "example" in text, f"{code}: English left in {s!r}"


def test_traditional_and_simplified_chinese_are_not_the_same_text():
    hant = {m: s for m, _p, s, _f in entries(catalogue("zh-hant"))[1:]}
    hans = {m: s for m, _p, s, _f in entries(catalogue("zh-hans"))[1:]}
    differ = sum(hant[m] != hans[m] for m in hant)
    assert differ / len(hant) > 0.7  # most sentences have a character that differs (們/们, 資料/信息 ...)
    assert "登記處" in hant["Health Connect Registry"][0] and "登记处" in hans["Health Connect Registry"][0]


@pytest.mark.parametrize("code, one, two, five", [
    ("fr", "1 jour", "2 jours", "5 jours"),
    ("pa", "1 ਦਿਨ", "2 ਦਿਨ", "5 ਦਿਨ"),
    ("zh-hans", "1 天", "2 天", "5 天"),
])
def test_plural_forms(code, one, two, five):
    now = timezone.now()
    with translation.override(code):
        assert [waited(now - datetime.timedelta(days=d), now) for d in (1, 2, 5)] == [one, two, five]
        months = waited(now - datetime.timedelta(days=61), now)
    assert months == {"fr": "environ 2 mois", "pa": "ਲਗਭਗ 2 ਮਹੀਨੇ", "zh-hans": "大约 2 个月"}[code]
    with translation.override("fr"):
        # French counts 0 and 1 as singular, 2 and more as plural.
        assert waited(now - datetime.timedelta(days=800), now) == "environ 2 ans"
    with translation.override("pa"):
        assert waited(now - datetime.timedelta(days=90), now) == "ਲਗਭਗ 3 ਮਹੀਨੇ"


@pytest.mark.parametrize("code", sorted(FOLDERS))
def test_the_python_compiler_writes_what_msgfmt_writes(code, tmp_path):
    """Where msgfmt is missing the install step compiles with Python: the same catalogue."""
    po = ROOT / "locale" / FOLDERS[code] / "LC_MESSAGES" / "django.po"
    ours = tmp_path / "ours.mo"
    write_mo(parse_po(po.read_text(encoding="utf-8")), ours)
    mine = gettext.GNUTranslations(ours.open("rb"))
    if shutil.which("msgfmt") is None:
        pytest.skip("GNU msgfmt is not on this machine")
    theirs = tmp_path / "theirs.mo"
    subprocess.run(["msgfmt", "-o", str(theirs), str(po)], check=True)
    gnu = gettext.GNUTranslations(theirs.open("rb"))
    drop_header = lambda catalog: {k: v for k, v in catalog.items() if k != ""}  # noqa: E731
    assert drop_header(mine._catalog) == drop_header(gnu._catalog)
    assert [mine.plural(n) for n in range(4)] == [gnu.plural(n) for n in range(4)]


def test_a_fuzzy_entry_is_left_out_by_the_python_compiler():
    text = ('msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
            '#, fuzzy\nmsgid "Hello"\nmsgstr "Bonjour"\n\nmsgid "Yes"\nmsgstr "Oui"\n')
    compiled = parse_po(text)
    assert "Hello" not in compiled and compiled["Yes"] == "Oui"


def test_the_catalogues_hold_every_marked_string(tmp_path):
    """makemessages over the code finds nothing the catalogues lack (a string marked since
    the last makemessages would show here, untranslated)."""
    if shutil.which("xgettext") is None:
        pytest.skip("GNU gettext is not on this machine")
    copy = tmp_path / "repo"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", ".data", "staticfiles", "node_modules",
                                                              "__pycache__", "*.mo", "vendor"))
    subprocess.run([sys.executable, "manage.py", "makemessages", *MAKEMESSAGES_ARGS], cwd=copy, check=True,
                   capture_output=True)
    for code, folder in FOLDERS.items():
        fresh = {e[0] for e in entries((copy / "locale" / folder / "LC_MESSAGES" / "django.po").read_text())}
        kept = {e[0] for e in entries(catalogue(code))}
        assert fresh - kept == set(), f"{code}: run makemessages and translate"


# The one makemessages command (README, "Adding a language"): staff-only allauth templates,
# the tests and the scripts are not the public's.
MAKEMESSAGES_ARGS = ["-l", "fr", "-l", "pa", "-l", "zh_Hant", "-l", "zh_Hans", "--no-location", "--no-obsolete",
                     "--ignore=.venv", "--ignore=tests", "--ignore=staticfiles", "--ignore=.data",
                     "--ignore=node_modules", "--ignore=scripts", "--ignore=templates/account/*",
                     "--ignore=templates/allauth/*"]
