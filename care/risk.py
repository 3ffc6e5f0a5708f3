"""The one open rule that turns a patient's recorded facts into a risk score, with its reasons.

Pure Python (no Django), like the matching engine: the rule can be read, tested and run
on its own.

Adults (18 and over): the **electronic frailty index** (eFI; Clegg et al., Age and
Ageing 2016;45:353-60). It counts which of 36 deficits are recorded; the index is the
count divided by 36, and the published cut-offs give the category:
    fit       index <= 0.12   (0-4 deficits)
    mild      0.12 < index <= 0.24   (5-8)
    moderate  0.24 < index <= 0.36   (9-12)
    severe    index > 0.36   (13 or more)
compared on the exact fraction count/36, not on the index rounded for display.
The eFI was validated in people aged 65 and over; for younger adults it is shown all
the same, since a count of deficits means the same thing, with that caveat in its reasons.

Children (under 18): the **Pediatric Medical Complexity Algorithm** (PMCA; Simon et al.,
Pediatrics 2014;133:e1647), in its less conservative form, from what the provider
recorded:
    complex chronic      chronic conditions in two or more body systems, or a
                         progressive condition, or continuous dependence on technology
                         (6 months or more), or a malignancy
    non-complex chronic  a chronic condition in one body system, none of the above
    none                 no chronic condition recorded
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

# The 36 deficits of the eFI, in its published order (code, label).
EFI_DEFICITS = [
    ("activity_limitation", "Activity limitation"),
    ("anaemia", "Anaemia and haematinic deficiency"),
    ("arthritis", "Arthritis"),
    ("atrial_fibrillation", "Atrial fibrillation"),
    ("cerebrovascular", "Cerebrovascular disease"),
    ("ckd", "Chronic kidney disease"),
    ("diabetes", "Diabetes"),
    ("dizziness", "Dizziness"),
    ("dyspnoea", "Dyspnoea"),
    ("falls", "Falls"),
    ("foot_problems", "Foot problems"),
    ("fragility_fracture", "Fragility fracture"),
    ("hearing", "Hearing impairment"),
    ("heart_failure", "Heart failure"),
    ("heart_valve", "Heart valve disease"),
    ("housebound", "Housebound"),
    ("hypertension", "Hypertension"),
    ("hypotension", "Hypotension or syncope"),
    ("ihd", "Ischaemic heart disease"),
    ("memory", "Memory and cognitive problems"),
    ("mobility", "Mobility and transfer problems"),
    ("osteoporosis", "Osteoporosis"),
    ("parkinsonism", "Parkinsonism and tremor"),
    ("peptic_ulcer", "Peptic ulcer"),
    ("pvd", "Peripheral vascular disease"),
    ("polypharmacy", "Polypharmacy (5 or more medicines)"),
    ("care_requirement", "Requirement for care"),
    ("respiratory", "Respiratory disease"),
    ("skin_ulcer", "Skin ulcer"),
    ("sleep", "Sleep disturbance"),
    ("social_vulnerability", "Social vulnerability"),
    ("thyroid", "Thyroid disease"),
    ("urinary_incontinence", "Urinary incontinence"),
    ("urinary_system", "Urinary system disease"),
    ("visual", "Visual impairment"),
    ("weight_loss", "Weight loss and anorexia"),
]
EFI_LABELS = dict(EFI_DEFICITS)
EFI_TOTAL = len(EFI_DEFICITS)
assert EFI_TOTAL == 36
# Upper bounds of each category's index, inclusive (the published cut-offs).
EFI_CUTOFFS = [(0.12, "fit"), (0.24, "mild"), (0.36, "moderate")]

# Body systems of the PMCA (code, label).
PMCA_BODY_SYSTEMS = [
    ("cardiac", "Cardiac"),
    ("craniofacial", "Craniofacial"),
    ("dermatological", "Dermatological"),
    ("endocrine", "Endocrine"),
    ("gastrointestinal", "Gastrointestinal"),
    ("genetic", "Genetic"),
    ("genitourinary", "Genitourinary"),
    ("haematological", "Haematological"),
    ("immunological", "Immunological"),
    ("mental_health", "Mental health"),
    ("metabolic", "Metabolic"),
    ("musculoskeletal", "Musculoskeletal"),
    ("neurological", "Neurological"),
    ("ophthalmological", "Ophthalmological"),
    ("otological", "Otological"),
    ("otolaryngological", "Otolaryngological"),
    ("respiratory", "Respiratory"),
    ("renal", "Renal"),
]
PMCA_LABELS = dict(PMCA_BODY_SYSTEMS)

CATEGORY_LABELS = {
    "fit": "Fit",
    "mild": "Mild frailty",
    "moderate": "Moderate frailty",
    "severe": "Severe frailty",
    "complex_chronic": "Complex chronic disease",
    "non_complex_chronic": "Non-complex chronic disease",
    "none": "No chronic disease",
    "unknown": "Not recorded",
}
# The categories the caseload and candidates treat as high risk.
HIGH_RISK = ("moderate", "severe", "complex_chronic")
ADULT_AGE = 18


@dataclass(frozen=True)
class RiskFacts:
    """What the provider recorded (the patient's CareProfile), as plain values."""

    date_of_birth: datetime.date
    deficits: tuple[str, ...] = ()
    body_systems: tuple[str, ...] = ()
    progressive: bool = False
    technology_dependent: bool = False
    malignancy: bool = False
    recorded: bool = True


@dataclass(frozen=True)
class RiskScore:
    scale: str  # "eFI" or "PMCA"
    category: str
    reasons: list[str] = field(default_factory=list)
    value: float | None = None  # the eFI index; None for the PMCA

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self.category]

    @property
    def high(self) -> bool:
        return self.category in HIGH_RISK


def age_on(date_of_birth: datetime.date, today: datetime.date) -> int:
    return today.year - date_of_birth.year - ((today.month, today.day) < (date_of_birth.month, date_of_birth.day))


def efi_category(count: int) -> str:
    # Compared exactly (count/36 against the cut-off, in integers), not on a rounded index:
    # 13 deficits are 0.361..., above 0.36, so severe, though it prints as 0.36.
    for upper, category in EFI_CUTOFFS:
        if count * 100 <= round(upper * 100) * EFI_TOTAL:
            return category
    return "severe"


def frailty(deficits, *, age: int | None = None) -> RiskScore:
    known = [d for d in dict.fromkeys(deficits) if d in EFI_LABELS]
    count = len(known)
    index = count / EFI_TOTAL
    category = efi_category(count)
    reasons = [f"{count} of {EFI_TOTAL} deficits recorded: eFI {index:.2f} ({CATEGORY_LABELS[category].lower()})"]
    reasons += [EFI_LABELS[d] for d in known]
    if age is not None and age < 65:
        reasons.append("The eFI is validated from age 65; read with care under that age.")
    return RiskScore("eFI", category, reasons, round(index, 2))


def pmca(body_systems, *, progressive=False, technology_dependent=False, malignancy=False) -> RiskScore:
    systems = [s for s in dict.fromkeys(body_systems) if s in PMCA_LABELS]
    names = ", ".join(PMCA_LABELS[s] for s in systems)
    reasons = []
    if len(systems) >= 2:
        reasons.append(f"Chronic conditions in {len(systems)} body systems: {names}")
    if progressive:
        reasons.append("A progressive condition")
    if technology_dependent:
        reasons.append("Continuous dependence on technology (6 months or more)")
    if malignancy:
        reasons.append("A malignancy")
    if reasons:
        return RiskScore("PMCA", "complex_chronic", reasons)
    if systems:
        return RiskScore("PMCA", "non_complex_chronic", [f"A chronic condition in one body system: {names}"])
    return RiskScore("PMCA", "none", ["No chronic condition recorded"])


def score(facts: RiskFacts, *, today: datetime.date) -> RiskScore:
    """The patient's risk score: eFI for adults, PMCA for children; 'not recorded' without a profile."""
    age = age_on(facts.date_of_birth, today)
    scale = "eFI" if age >= ADULT_AGE else "PMCA"
    if not facts.recorded:
        return RiskScore(scale, "unknown", ["The provider has not recorded diagnoses or deficits yet."])
    if scale == "eFI":
        return frailty(facts.deficits, age=age)
    return pmca(facts.body_systems, progressive=facts.progressive,
                technology_dependent=facts.technology_dependent, malignancy=facts.malignancy)
