"""Compile the message catalogues (locale/*/LC_MESSAGES/*.po) to .mo files.

The .mo files are build output, not committed. Where GNU gettext's msgfmt is on the
machine this is Django's `compilemessages` (which checks the catalogues as it goes);
where it is not (python:3.11-slim, a fresh laptop), the same .mo files are written by the
small compiler below, Python alone, so `make install`, `make test` and the Docker image
never depend on a system package. `--python` forces the Python compiler.

Only what Django's catalogues use is read: msgctxt, msgid, msgid_plural, msgstr and
msgstr[N], the header entry, "#, fuzzy" (a fuzzy entry is left out, as msgfmt does).
"""

from __future__ import annotations

import ast
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"


def parse_po(text: str) -> dict[str, str]:
    """The catalogue's entries as .mo keys and values: "ctxt\\x04id" for a context, and
    "id\\x00plural" -> "form0\\x00form1..." for plural entries. Fuzzy entries are skipped."""
    entries: dict[str, str] = {}
    entry: dict[str, object] = {}
    fuzzy = False
    section = None

    def finish():
        nonlocal entry, fuzzy
        # A fuzzy entry is left out, as msgfmt does, but never the header (its charset).
        if "msgid" in entry and (not fuzzy or entry["msgid"] == ""):
            msgid = entry["msgid"]
            if "msgid_plural" in entry:
                key = f"{msgid}\x00{entry['msgid_plural']}"
                forms = entry.get("plurals", {})
                value = "\x00".join(forms[i] for i in sorted(forms))
                complete = all(forms.values())
            else:
                key, value = msgid, entry.get("msgstr", "")
                complete = bool(value)
            if "msgctxt" in entry:
                key = f"{entry['msgctxt']}\x04{key}"
            if complete or msgid == "":
                entries[key] = value
        entry, fuzzy = {}, False

    def has_msgstr() -> bool:
        return "msgstr" in entry or "plurals" in entry

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            if "msgid" in entry:
                finish()
            continue
        if line.startswith("#"):
            if "msgid" in entry and has_msgstr():
                finish()  # a comment or flag starts the next entry
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            continue
        if line.startswith('"'):
            value = ast.literal_eval(line)
        else:
            keyword, _, rest = line.partition(" ")
            value = ast.literal_eval(rest.strip())
            if keyword == "msgctxt" or (keyword == "msgid" and "msgid" in entry):
                if "msgid" in entry:
                    finish()
            if keyword.startswith("msgstr["):
                section = ("plurals", int(keyword[7:-1]))
                entry.setdefault("plurals", {})[section[1]] = ""
            else:
                section = keyword
                entry[section] = ""
        if isinstance(section, tuple):
            entry["plurals"][section[1]] += value
        elif section is not None:
            entry[section] += value
    finish()
    return entries


def write_mo(entries: dict[str, str], path: Path) -> None:
    """The GNU .mo format: a header, two tables of (length, offset), then the strings."""
    keys = sorted(entries)
    ids = b"".join(k.encode() + b"\x00" for k in keys)
    strs = b"".join(entries[k].encode() + b"\x00" for k in keys)
    n = len(keys)
    start = 7 * 4 + 16 * n
    id_table, str_table, offset = [], [], 0
    for k in keys:
        length = len(k.encode())
        id_table += [length, start + offset]
        offset += length + 1
    offset = 0
    for k in keys:
        length = len(entries[k].encode())
        str_table += [length, start + len(ids) + offset]
        offset += length + 1
    header = struct.pack("<7I", 0x950412DE, 0, n, 7 * 4, 7 * 4 + 8 * n, 0, 0)
    path.write_bytes(header + struct.pack(f"<{2 * n}I", *id_table) + struct.pack(f"<{2 * n}I", *str_table)
                     + ids + strs)


def compile_with_python() -> list[Path]:
    written = []
    for po in sorted(LOCALE.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        write_mo(parse_po(po.read_text(encoding="utf-8")), mo)
        written.append(mo)
    return written


def main(argv: list[str]) -> int:
    if not LOCALE.is_dir():
        print("compilemessages: no locale/ folder, nothing to compile")
        return 0
    if "--python" not in argv and shutil.which("msgfmt"):
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "attachment.settings")}
        done = subprocess.run([sys.executable, "manage.py", "compilemessages", "-v", "0"], cwd=ROOT, env=env)
        return done.returncode
    written = compile_with_python()
    print(f"compilemessages: {len(written)} catalogues compiled with Python (no msgfmt on this machine)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
