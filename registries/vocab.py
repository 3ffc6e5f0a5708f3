"""Shared vocabularies: languages, genders, needs. One list each, used by every registry."""



def gettext_noop(text: str) -> str:
    """Marks a label for the message catalogues (makemessages looks for this name) and
    returns it unchanged: the public form translates it. Defined here, not imported from
    Django, so this module stays plain Python (the matching engine imports it)."""
    return text


# Languages most spoken in British Columbia (ISO 639 codes; Chinese split as people name it).
LANGUAGES = [
    ("en", gettext_noop("English")),
    ("fr", gettext_noop("French")),
    ("pa", gettext_noop("Punjabi")),
    ("yue", gettext_noop("Cantonese")),
    ("cmn", gettext_noop("Mandarin")),
    ("tl", gettext_noop("Tagalog")),
    ("fa", gettext_noop("Farsi")),
    ("ko", gettext_noop("Korean")),
    ("hi", gettext_noop("Hindi")),
    ("es", gettext_noop("Spanish")),
    ("vi", gettext_noop("Vietnamese")),
    ("ar", gettext_noop("Arabic")),
    ("ru", gettext_noop("Russian")),
    ("de", gettext_noop("German")),
    ("ja", gettext_noop("Japanese")),
    ("ur", gettext_noop("Urdu")),
    ("gu", gettext_noop("Gujarati")),
    ("pl", gettext_noop("Polish")),
    ("pt", gettext_noop("Portuguese")),
    ("it", gettext_noop("Italian")),
    ("asl", gettext_noop("American Sign Language")),
]
# Names for every code that may arrive (a matching instance file may say "zh"), offered or not.
LANGUAGE_NAMES = {**dict(LANGUAGES), "zh": "Chinese"}

GENDERS = [("F", gettext_noop("Female")), ("M", gettext_noop("Male")), ("X", gettext_noop("Another gender"))]
PROVIDER_GENDERS = [("F", gettext_noop("Female")), ("M", gettext_noop("Male")), ("X", gettext_noop("Non-binary"))]

# Care needs a household may have; a provider may state which of these they do not take on.
NEEDS = [
    ("maternity", "Maternity / pregnancy care"),
    ("infant", "Care of a child under 2"),
    ("chronic_disease", "Chronic condition needing regular care"),
    ("mental_health", "Mental health needs"),
    ("substance_use", "Substance use needs"),
    ("complex_care", "Complex care (several conditions)"),
    ("older_adult", "Older adult care (65+)"),
    ("palliative", "Palliative care"),
]
NEED_NAMES = dict(NEEDS)


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)
