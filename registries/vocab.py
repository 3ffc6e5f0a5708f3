"""Shared vocabularies: languages, genders, needs. One list each, used by every registry."""

from django.utils.translation import (
    gettext_noop as N_,  # marked for the public form, kept plain here
)

# Languages most spoken in British Columbia (ISO 639 codes; Chinese split as people name it).
LANGUAGES = [
    ("en", N_("English")),
    ("fr", N_("French")),
    ("pa", N_("Punjabi")),
    ("yue", N_("Cantonese")),
    ("cmn", N_("Mandarin")),
    ("tl", N_("Tagalog")),
    ("fa", N_("Farsi")),
    ("ko", N_("Korean")),
    ("hi", N_("Hindi")),
    ("es", N_("Spanish")),
    ("vi", N_("Vietnamese")),
    ("ar", N_("Arabic")),
    ("ru", N_("Russian")),
    ("de", N_("German")),
    ("ja", N_("Japanese")),
    ("ur", N_("Urdu")),
    ("gu", N_("Gujarati")),
    ("pl", N_("Polish")),
    ("pt", N_("Portuguese")),
    ("it", N_("Italian")),
    ("asl", N_("American Sign Language")),
]
# Names for every code that may arrive (a matching instance file may say "zh"), offered or not.
LANGUAGE_NAMES = {**dict(LANGUAGES), "zh": "Chinese"}

GENDERS = [("F", N_("Female")), ("M", N_("Male")), ("X", N_("Another gender"))]
PROVIDER_GENDERS = [("F", N_("Female")), ("M", N_("Male")), ("X", N_("Non-binary"))]

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
