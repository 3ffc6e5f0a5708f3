"""Shared vocabularies: languages, genders, needs. One list each, used by every registry."""

# Languages most spoken in British Columbia (ISO 639 codes; Chinese split as people name it).
LANGUAGES = [
    ("en", "English"),
    ("fr", "French"),
    ("pa", "Punjabi"),
    ("yue", "Cantonese"),
    ("cmn", "Mandarin"),
    ("tl", "Tagalog"),
    ("fa", "Farsi"),
    ("ko", "Korean"),
    ("hi", "Hindi"),
    ("es", "Spanish"),
    ("vi", "Vietnamese"),
    ("ar", "Arabic"),
    ("ru", "Russian"),
    ("de", "German"),
    ("ja", "Japanese"),
    ("ur", "Urdu"),
    ("gu", "Gujarati"),
    ("pl", "Polish"),
    ("pt", "Portuguese"),
    ("it", "Italian"),
    ("asl", "American Sign Language"),
]
# Names for every code that may arrive (a matching instance file may say "zh"), offered or not.
LANGUAGE_NAMES = {**dict(LANGUAGES), "zh": "Chinese"}

GENDERS = [("F", "Female"), ("M", "Male"), ("X", "Another gender")]
PROVIDER_GENDERS = [("F", "Female"), ("M", "Male"), ("X", "Non-binary")]

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
