"""The one rule that turns a registration's priority factors into its priority.

Each factor a household reports adds its weight; priority is the sum (higher is more
urgent). The weights follow what attachment programs prioritise: people whose care
cannot wait (pregnancy, a newborn, just out of hospital) before ongoing needs.
A coordinator may override the computed value with a reason (audited).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_noop

# Labels are marked with gettext_noop: plain strings here, translated by the public form.
# (code, label shown on the public form, weight, the care need it implies or None)
FACTORS = [
    ("pregnancy", gettext_noop("Pregnant"), 4, "maternity"),
    ("infant", gettext_noop("A child under 2 without a provider"), 4, "infant"),
    ("hospital_discharge", gettext_noop("Discharged from hospital in the last 3 months"), 3, None),
    ("chronic_condition", gettext_noop("A chronic condition that needs regular care"), 2, "chronic_disease"),
    ("mental_health", gettext_noop("Mental health needs"), 2, "mental_health"),
    ("substance_use", gettext_noop("Substance use needs"), 2, "substance_use"),
    ("complex_care", gettext_noop("Several health conditions (complex care)"), 2, "complex_care"),
    ("age_65_plus", gettext_noop("Aged 65 or older"), 1, "older_adult"),
    ("palliative", gettext_noop("Needs palliative (end-of-life) care"), 4, "palliative"),
]
FACTOR_CHOICES = [(code, label) for code, label, _, _ in FACTORS]
FACTOR_WEIGHTS = {code: weight for code, _, weight, _ in FACTORS}
FACTOR_LABELS = {code: label for code, label, _, _ in FACTORS}
FACTOR_NEEDS = {code: need for code, _, _, need in FACTORS if need}


@dataclass(frozen=True)
class Priority:
    value: int
    reasons: list[str]


def compute_priority(factors) -> Priority:
    """Priority and its reasons, in words, from a list of factor codes."""
    known = [f for f in dict.fromkeys(factors) if f in FACTOR_WEIGHTS]
    reasons = [f"{FACTOR_LABELS[f]} (+{FACTOR_WEIGHTS[f]})" for f in known]
    return Priority(sum(FACTOR_WEIGHTS[f] for f in known), reasons or ["No priority factors reported"])


def needs_for(factors) -> list[str]:
    """Care needs implied by the factors (used by matching's needs constraint)."""
    return sorted({FACTOR_NEEDS[f] for f in factors if f in FACTOR_NEEDS})
