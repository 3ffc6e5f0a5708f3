"""The demo's care story: the care coordinator of Kamloops PCN opens a caseload that tells it."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from care.models import Enrolment, HospitalStay, MdtMeeting, PlannedVisit, Task
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_the_demo_tells_the_care_story(client):
    call_command("seed_demo", "--patients", "300", "--providers", "40", "--panel-entries", "3000")
    coordinator = get_user_model().objects.get(username="care-coordinator")
    caseload = Enrolment.objects.filter(pcn__name="Kamloops PCN", discharged_at__isnull=True)
    assert 24 <= caseload.count() <= 40 and caseload.values("need_level").distinct().count() >= 3
    assert HospitalStay.objects.filter(discharged_on__isnull=True, closed_at__isnull=True).count() == 1
    assert PlannedVisit.objects.count() == 1 and MdtMeeting.objects.get().items.count() == 3
    kinds = set(Task.objects.filter(done_at__isnull=True).values_list("kind", flat=True))
    assert {"hospital_call", "discharge_call", "read_summary", "pvp_reminder", "mdt_action"} <= kinds
    login(client, coordinator)
    worklist = client.get(reverse("care:worklist"), {"horizon": "7"})
    assert any(t.kind == "hospital_call" for t in worklist.context["rows"])
    assert client.get(reverse("care:caseload")).context["rows"]
