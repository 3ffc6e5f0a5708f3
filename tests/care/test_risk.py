"""The risk rule (care.risk) against worked examples: eFI categories for adults, PMCA classes for children."""

import datetime
import subprocess
import sys

import pytest

from care import risk

TODAY = datetime.date(2026, 3, 1)
DEFICIT_CODES = [code for code, _ in risk.EFI_DEFICITS]


def test_the_efi_has_its_36_deficits():
    assert len(DEFICIT_CODES) == 36 == len(set(DEFICIT_CODES))


@pytest.mark.parametrize("count, category", [
    (0, "fit"), (4, "fit"),            # 4/36 = 0.11 <= 0.12
    (5, "mild"), (8, "mild"),          # 5/36 = 0.14; 8/36 = 0.22
    (9, "moderate"), (12, "moderate"),  # 9/36 = 0.25; 12/36 = 0.33
    (13, "severe"), (36, "severe"),    # 13/36 = 0.361 > 0.36, though it prints as 0.36
])
def test_efi_cut_offs(count, category):
    assert risk.frailty(DEFICIT_CODES[:count]).category == category


def test_a_worked_adult_example_with_its_reasons():
    # An 87-year-old with falls, hypertension, diabetes, visual impairment, polypharmacy,
    # mobility problems and urinary incontinence: 7 deficits, eFI 0.19, mild frailty.
    facts = risk.RiskFacts(date_of_birth=datetime.date(1938, 6, 2), deficits=(
        "falls", "hypertension", "diabetes", "visual", "polypharmacy", "mobility", "urinary_incontinence", "falls",
        "not-a-deficit"))
    scored = risk.score(facts, today=TODAY)
    assert (scored.scale, scored.category, scored.value) == ("eFI", "mild", 0.19)
    assert scored.reasons[0] == "7 of 36 deficits recorded: eFI 0.19 (mild frailty)"
    assert "Falls" in scored.reasons and "Polypharmacy (5 or more medicines)" in scored.reasons
    assert not scored.high


def test_an_adult_under_65_gets_the_caveat():
    scored = risk.score(risk.RiskFacts(date_of_birth=datetime.date(1990, 1, 1), deficits=("diabetes",)), today=TODAY)
    assert scored.category == "fit" and any("validated from age 65" in r for r in scored.reasons)


@pytest.mark.parametrize("systems, flags, category", [
    ((), {}, "none"),
    (("respiratory",), {}, "non_complex_chronic"),                         # asthma alone
    (("respiratory", "respiratory"), {}, "non_complex_chronic"),           # one system counted once
    (("neurological", "gastrointestinal"), {}, "complex_chronic"),         # cerebral palsy with a G-tube
    (("genetic",), {"progressive": True}, "complex_chronic"),              # Duchenne: progressive
    ((), {"technology_dependent": True}, "complex_chronic"),
    (("haematological",), {"malignancy": True}, "complex_chronic"),        # leukaemia
])
def test_pmca_classes(systems, flags, category):
    assert risk.pmca(systems, **flags).category == category


def test_a_worked_child_example_with_its_reasons():
    facts = risk.RiskFacts(date_of_birth=datetime.date(2018, 9, 1), body_systems=("neurological", "gastrointestinal"),
                           technology_dependent=True)
    scored = risk.score(facts, today=TODAY)
    assert (scored.scale, scored.category, scored.high) == ("PMCA", "complex_chronic", True)
    assert scored.reasons == ["Chronic conditions in 2 body systems: Neurological, Gastrointestinal",
                              "Continuous dependence on technology (6 months or more)"]


def test_the_18th_birthday_switches_the_scale():
    born = datetime.date(2008, 3, 1)
    assert risk.score(risk.RiskFacts(date_of_birth=born), today=datetime.date(2026, 2, 28)).scale == "PMCA"
    assert risk.score(risk.RiskFacts(date_of_birth=born), today=TODAY).scale == "eFI"


def test_nothing_recorded_says_so():
    scored = risk.score(risk.RiskFacts(date_of_birth=datetime.date(1950, 1, 1), recorded=False), today=TODAY)
    assert scored.category == "unknown" and scored.label == "Not recorded"


def test_the_rule_is_pure_python():
    # Importing the rule must not need Django (it runs on a file, in a notebook, anywhere).
    code = "import sys; import care.risk; assert 'django' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(__import__('pathlib').Path(__file__).parents[2]))
