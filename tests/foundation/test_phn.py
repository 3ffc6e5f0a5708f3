"""The PHN rule, checked by properties over the whole number space, in Python and in PostgreSQL."""

import pytest
from django import forms
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from registries.phn import (
    is_valid_phn,
    make_phn,
    normalize_phn,
    phn_check_digit,
    phn_error,
    validate_phn,
)

serials = st.integers(min_value=0, max_value=99_999_999)
valid_phns = serials.map(make_phn).filter(lambda p: p is not None)


def test_known_numbers():
    assert is_valid_phn("9698658215")  # the test PHN used in BC's published examples
    assert not is_valid_phn("9698658216")
    assert not is_valid_phn("8698658215")
    assert not is_valid_phn("969865821")
    assert is_valid_phn("9698 658 215")


@given(valid_phns)
def test_made_numbers_are_valid(phn):
    assert len(phn) == 10 and phn[0] == "9"
    assert is_valid_phn(phn)


@given(valid_phns, st.integers(min_value=1, max_value=9), st.integers(min_value=1, max_value=9))
def test_any_single_digit_error_is_caught(phn, position, delta):
    # Weights and digit changes are all below the prime 11, so no single slip cancels out.
    digits = list(phn)
    digits[position] = str((int(digits[position]) + delta) % 10)
    assert not is_valid_phn("".join(digits))


@given(serials)
def test_remainder_zero_or_one_has_no_number(serial):
    body = f"{serial:08d}"
    remainder = sum(int(d) * w for d, w in zip(body, (2, 4, 8, 5, 10, 9, 7, 3))) % 11
    assert (phn_check_digit(body) is None) == (remainder < 2)
    assert (make_phn(serial) is None) == (remainder < 2)


@given(st.text(alphabet="0123456789 -x", min_size=0, max_size=14))
def test_validator_agrees_with_is_valid_and_explains(value):
    error = phn_error(value)
    assert (error is None) == is_valid_phn(value)
    if error:
        with pytest.raises(forms.ValidationError) as info:
            validate_phn(value)
        assert info.value.messages == [error]


@pytest.mark.django_db
@settings(max_examples=200, deadline=None)
@given(st.one_of(valid_phns, st.text(alphabet="0123456789", min_size=10, max_size=10),
                 st.text(alphabet="90123 -+a\u0669\uff19", max_size=12)))
def test_database_rule_matches_python(phn):
    """The CHECK's rule is the Python rule on the stored (normalised) form: no spaces, signs or other digits."""
    with connection.cursor() as cur:
        cur.execute("SELECT attach_phn_valid(%s)", [phn])
        assert cur.fetchone()[0] == (is_valid_phn(phn) and phn.isascii() and phn.isdigit())


# Any character Unicode calls a digit (Arabic-Indic, Devanagari, full-width, superscripts, ...).
unicode_digits = st.characters(categories=["Nd", "No"])


@pytest.mark.django_db
@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.text(alphabet=unicode_digits, min_size=10, max_size=10),
    # "9" and a valid number's digits with some of them swapped for another script's.
    st.tuples(valid_phns, st.lists(st.tuples(st.integers(1, 9), unicode_digits), max_size=3)).map(
        lambda t: "".join(dict(t[1]).get(i, ch) for i, ch in enumerate(t[0]))
    ),
    st.just("9" + "\u0669" * 9),
))
def test_python_and_the_database_agree_over_any_unicode_digits(phn):
    """One rule: what Python accepts the database's CHECK accepts, digit for digit."""
    with connection.cursor() as cur:
        cur.execute("SELECT attach_phn_valid(%s)", [phn])
        assert cur.fetchone()[0] == is_valid_phn(phn)
    assert (phn_error(phn) is None) == is_valid_phn(phn)  # and never an exception


def test_other_scripts_digits_are_not_a_phn():
    arabic_indic = "9" + "".join(chr(0x0660 + int(d)) for d in "698658215")
    assert not is_valid_phn(arabic_indic)
    assert phn_error(arabic_indic) == "A Personal Health Number has 10 digits."
    assert not is_valid_phn("9698658²15")


def test_normalize_strips_what_people_type():
    assert normalize_phn(" 9698-658 215 ") == "9698658215"


def test_model_form_shows_field_error():
    from patients.models import Patient

    class PatientForm(forms.ModelForm):
        class Meta:
            model = Patient
            fields = ["phn"]

    form = PatientForm(data={"phn": "9698658216"})
    assert not form.is_valid()
    assert "check digit" in form.errors["phn"][0]
