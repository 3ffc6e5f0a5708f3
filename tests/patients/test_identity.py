"""Issue 16.1: a stranger cannot overwrite a known person's identity from the public form.

A PHN the registry knows, arriving with another name or date of birth, leaves the record as
it was, holds the registration for a coordinator (shown side by side), and nobody is matched,
offered or attached on it until the coordinator decides.
"""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from attachment.core.models import AuditEvent
from attachment.workflow import services as workflow
from attachment.workflow.models import MatchRun, Proposal
from patients import identity
from patients.models import IdentityConflict, Patient, Registration
from registries.models import PanelEntry
from tests.attachment.conftest import accepting_provider, offer_for, run
from tests.conftest import login
from tests.factories import PatientFactory, household, next_phn
from tests.patients.helpers import registration_post

pytestmark = pytest.mark.django_db


def random_address() -> str:
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


@pytest.fixture
def client(client):
    client.defaults["REMOTE_ADDR"] = random_address()
    return client


@pytest.fixture
def jun_martin(provider):
    """Jun Martin, attached: on Dr Singh's panel."""
    jun = PatientFactory(first_name="Jun", last_name="Martin", date_of_birth=datetime.date(1962, 2, 12))
    PanelEntry.objects.create(patient=jun, provider=provider, since=datetime.date(2020, 1, 1), source="upload")
    return jun


def impostor_registers(client, phn, django_capture_on_commit_callbacks):
    members = [{"first_name": "Mallory", "last_name": "Registrant", "date_of_birth": "1999-09-09", "phn": phn}]
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("patients:register"), registration_post(members))


def test_an_impostor_cannot_rewrite_a_patient_nor_be_matched_offered_or_attached_on_them(
    client, coordinator, clinic, kamloops, jun_martin, provider, django_capture_on_commit_callbacks,
):
    accepting_provider(clinic, 5)
    response = impostor_registers(client, jun_martin.phn, django_capture_on_commit_callbacks)
    # The household is told what any household is told.
    assert response.status_code == 302 and response["Location"] == reverse("patients:register_done")

    jun_martin.refresh_from_db()
    assert (jun_martin.first_name, jun_martin.last_name, jun_martin.date_of_birth) == (
        "Jun", "Martin", datetime.date(1962, 2, 12))
    assert jun_martin.registration is None
    registration = Registration.objects.get()
    assert registration.status == "waiting" and identity.is_held(registration.pk)
    conflict = IdentityConflict.objects.get()
    assert (conflict.patient, conflict.kind, conflict.claimed_first_name, conflict.claimed_date_of_birth) == (
        jun_martin, "details", "Mallory", datetime.date(1999, 9, 9))

    # Matching passes it by; a proposal made some other way cannot be sent.
    match_run = run(coordinator, division=kamloops.division_id)
    assert match_run.status == MatchRun.Status.SUCCEEDED
    assert not Proposal.objects.filter(registration=registration).exists()
    proposal = Proposal.objects.create(match_run=match_run, registration=registration, provider=provider, places=1,
                                       created_at=timezone.now())
    with pytest.raises(workflow.WorkflowError, match="identity review"):
        workflow.send_offer(proposal.pk, by=coordinator)
    registration.refresh_from_db()
    assert registration.status == "waiting"
    assert PanelEntry.objects.get(patient=jun_martin).ended_at is None  # the real person stays attached

    # The coordinator of the division sees both versions side by side.
    page = login(client, coordinator).get(reverse("patients:identity_reviews"))
    html = page.content.decode()
    assert page.status_code == 200
    registry_cell = html.split(f'data-testid="registry-{conflict.pk}">')[1].split("</td>")[0]
    claimed_cell = html.split(f'data-testid="claimed-{conflict.pk}">')[1].split("</td>")[0]
    assert "Martin, Jun" in registry_cell and "1962-02-12" in registry_cell
    assert "Registrant, Mallory" in claimed_cell and "1999-09-09" in claimed_cell
    assert AuditEvent.objects.filter(object_type="patients.IdentityConflict", action="view").exists()
    detail = client.get(reverse("patients:registration", args=[registration.pk])).content.decode()
    assert 'data-testid="identity-held"' in detail

    # Not the same person: the registration closes; the real record never changed.
    client.post(reverse("patients:identity_resolve", args=[conflict.pk]), {"resolution": "different", "note": "called"})
    registration.refresh_from_db()
    conflict.refresh_from_db()
    assert registration.status == "ineligible" and conflict.resolution == "different"
    assert Patient.objects.get(pk=jun_martin.pk).first_name == "Jun"


def test_a_held_household_cannot_confirm_an_offer(coordinator, clinic, kamloops):
    # However a hold comes to an offered registration, the attachment refuses it.
    accepting_provider(clinic, 5)
    registration = household(1, community=kamloops)
    offer = offer_for(registration, coordinator)
    workflow.clinic_accept(offer.pk, by=coordinator)
    stranger = PatientFactory()
    IdentityConflict.objects.create(registration=registration, patient=stranger, kind="details",
                                    claimed_first_name="X", claimed_last_name="Y",
                                    claimed_date_of_birth=datetime.date(2000, 1, 1))
    with pytest.raises(workflow.WorkflowError, match="identity review"):
        workflow.patient_confirm(offer.pk)
    assert not PanelEntry.objects.filter(patient__registration=registration).exists()


def test_same_person_accepts_the_new_details_audited_and_joins_the_household(
    client, coordinator, jun_martin, django_capture_on_commit_callbacks,
):
    impostor_registers(client, jun_martin.phn, django_capture_on_commit_callbacks)
    conflict = IdentityConflict.objects.get()
    login(client, coordinator).post(reverse("patients:identity_resolve", args=[conflict.pk]),
                                    {"resolution": "same", "note": "Legal name change, card seen"})
    jun_martin.refresh_from_db()
    assert (jun_martin.first_name, jun_martin.date_of_birth) == ("Mallory", datetime.date(1999, 9, 9))
    assert jun_martin.registration == conflict.registration and jun_martin.is_primary_contact
    assert not identity.is_held(conflict.registration_id)
    event = AuditEvent.objects.get(object_type="patients.Patient", action="update")
    assert event.changes["first_name"] == ["Jun", "Mallory"] and event.reason == "Legal name change, card seen"


def test_another_divisions_coordinator_neither_sees_nor_resolves_it(
    client, other_coordinator, jun_martin, django_capture_on_commit_callbacks,
):
    impostor_registers(client, jun_martin.phn, django_capture_on_commit_callbacks)
    conflict = IdentityConflict.objects.get()
    login(client, other_coordinator)
    assert "Mallory" not in client.get(reverse("patients:identity_reviews")).content.decode()
    assert client.post(reverse("patients:identity_resolve", args=[conflict.pk]),
                       {"resolution": "same"}).status_code == 404
    assert IdentityConflict.objects.get().resolved_at is None


def test_a_staff_entry_with_other_details_is_held_too_and_changes_nothing(jun_martin, kamloops, coordinator):
    from patients import services

    registration, created = services.register_household(
        services.Household(community=kamloops, phone="2505550100"),
        [services.Member("Mallory", "Registrant", datetime.date(1999, 9, 9), jun_martin.phn),
         services.Member("New", "Person", datetime.date(2001, 1, 1), next_phn())],
        source=Registration.Source.STAFF, entered_by=coordinator,
    )
    jun_martin.refresh_from_db()
    assert jun_martin.first_name == "Jun" and identity.is_held(registration.pk)
    assert list(registration.members.values_list("first_name", flat=True)) == ["New"]


def test_public_registration_is_rate_limited_per_client_address(client, settings, django_capture_on_commit_callbacks):
    settings.ATTACH_REGISTER_RATE = "2/h"
    for _ in range(2):
        assert client.post(reverse("patients:register"), registration_post()).status_code == 302
    refused = client.post(reverse("patients:register"), registration_post())
    assert refused.status_code == 429 and "try again" in refused.content.decode()
    assert Registration.objects.count() == 2
    # Another address is not held back by this one.
    # (a fresh one: the limits live in the real Redis, which outlives a test run)
    first = client.defaults["REMOTE_ADDR"]
    while client.defaults["REMOTE_ADDR"] == first:
        client.defaults["REMOTE_ADDR"] = random_address()
    assert client.post(reverse("patients:register"), registration_post()).status_code == 302
