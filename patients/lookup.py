"""Verify a household by what only it knows: its reference code and one member's date of birth.

Used by the public status lookup and by the public offer-confirmation page. Whether the
code is unknown or the date of birth is wrong, the same single query runs and the
answer is the same None, so neither the response nor its timing tells a caller which
part was wrong.
"""

import datetime

from django.db.models import Exists, OuterRef

from patients.models import REFERENCE_LENGTH, Patient, Registration


def normalize_code(reference_code: str) -> str:
    """Codes are read out and copied by hand: ignore case, spaces and dashes."""
    return "".join(ch for ch in str(reference_code or "") if ch not in " -\t").upper()[:REFERENCE_LENGTH + 4]


def verify(reference_code: str, date_of_birth: datetime.date) -> Registration | None:
    """The registration whose code is `reference_code` and that has a member born on
    `date_of_birth`; None otherwise (unknown code and wrong date are indistinguishable)."""
    code = normalize_code(reference_code)
    # One query in every case: the row by its unique code, with the date check evaluated
    # in the database alongside it. Python compares nothing that differs by case.
    row = (
        Registration.objects.filter(reference_code=code)
        .annotate(
            dob_matches=Exists(
                Patient.objects.filter(registration=OuterRef("pk"), date_of_birth=date_of_birth)
            )
        )
        .first()
    )
    matched = row is not None and row.dob_matches
    return row if matched else None
