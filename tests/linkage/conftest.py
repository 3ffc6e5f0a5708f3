"""Helpers for the local waitlist import tests: files as coordinators send them, waiting people."""

import datetime

import pytest
from django.utils import timezone

from attachment.core.audit import Actor
from linkage import imports
from linkage.models import WaitlistImport
from patients.models import Patient, Registration
from tests.factories import RegistrationFactory, community, next_phn

HEADER = "list_id,household,last_name,first_name,date_of_birth,phn,gender,postal_code,phone,email,community,listed_on,priority_factors"


def local_csv(*rows: str, header: str = HEADER, newline: str = "\n", bom: bool = False) -> bytes:
    text = newline.join([header, *rows]) + newline
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


def waiting_person(*, last_name, first_name, dob, phn=None, registered_days_ago=30, postal_code="V2C1A1",
                   phone="250-555-0101", email="", place="Kamloops") -> Patient:
    """One person waiting alone on a registration of `place`."""
    registration = RegistrationFactory(
        community=community(place), household_size=1, postal_code=postal_code, phone=phone,
        email=email or f"{first_name.lower()}.{last_name.lower()}@example.org",
        registered_at=timezone.now() - datetime.timedelta(days=registered_days_ago),
    )
    return Patient.objects.create(phn=phn or next_phn(), first_name=first_name, last_name=last_name,
                                  date_of_birth=dob, registration=registration, is_primary_contact=True,
                                  postal_code=postal_code)


def actor_of(user) -> Actor:
    return Actor(user=user, ip_address="127.0.0.1", user_agent="pytest")


def imported(division, user, data: bytes, file_name="local.csv") -> WaitlistImport:
    """Check, request and run an import in this process (the task's service), as the command does."""
    upload = imports.create_import(division, data=data, file_name=file_name, actor=actor_of(user))
    WaitlistImport.objects.filter(pk=upload.pk).update(status=WaitlistImport.Status.IMPORTING,
                                                        import_requested_by=user)
    return imports.run_import(upload.pk)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def registration_of(person: Patient) -> Registration:
    return Registration.objects.get(pk=Patient.objects.get(pk=person.pk).registration_id)
