"""The registry's own duplicates: the nightly job, the coordinators' merge, distinct and undo."""

import datetime

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from attachment.core.models import AuditEvent, JobRun
from linkage import duplicates
from linkage.models import DuplicatePair
from linkage.tasks import find_registry_duplicates
from patients.models import Registration
from tests.conftest import login
from tests.linkage.conftest import actor_of, registration_of, waiting_person

pytestmark = pytest.mark.django_db
DOB = datetime.date(1970, 4, 12)


@pytest.fixture
def twice():
    """William Thompson registered twice (once without his PHN), 90 and 20 days ago; and a stranger."""
    first = waiting_person(last_name="Thompson", first_name="William", dob=DOB, registered_days_ago=90,
                           postal_code="V2C1A1", phone="250-555-0101", email="bill@example.org")
    second = waiting_person(last_name="Thompson", first_name="Bill", dob=DOB, registered_days_ago=20,
                            postal_code="V2C1A1", phone="(250) 555-0101", email="bill@example.org")
    second.phn = None
    second.save(update_fields=["phn"])
    waiting_person(last_name="Okafor", first_name="Chidi", dob=datetime.date(1979, 11, 11))
    return first, second


def test_the_nightly_job_is_scheduled_by_name():
    task = PeriodicTask.objects.get(task="linkage.tasks.find_registry_duplicates")
    assert task.enabled and task.crontab.hour == "2"


def test_the_job_lists_the_pair_once_however_often_it_runs(twice):
    figures = find_registry_duplicates()
    assert figures["pairs"] >= 1 and figures["new"] >= 1
    pair = DuplicatePair.objects.get()
    assert {pair.a_id, pair.b_id} == {twice[0].pk, twice[1].pk} and pair.a_id < pair.b_id
    assert pair.division_id == twice[0].registration.division_id and pair.evidence
    again = find_registry_duplicates()
    assert again["new"] == 0 and DuplicatePair.objects.count() == 1
    assert JobRun.objects.filter(name="linkage.find_registry_duplicates", outcome="succeeded").count() == 2


def test_merge_keeps_the_earliest_date_and_both_histories_and_undo_restores(twice, coordinator):
    first, second = twice
    kept_before, folded_before = registration_of(first), registration_of(second)
    find_registry_duplicates()
    pair = DuplicatePair.objects.get()
    duplicates.merge_pair(pair, note="same man", actor=actor_of(coordinator))
    pair.refresh_from_db()
    # The one with the PHN is kept (nobody's identity changes); it waits since the earlier date.
    assert pair.kept_id == kept_before.pk and pair.folded_id == folded_before.pk
    kept, folded = registration_of(first), Registration.objects.get(pk=folded_before.pk)
    assert kept.registered_at == min(kept_before.registered_at, folded_before.registered_at)
    assert folded.status == "withdrawn" and folded.status_history.last().reason.startswith("Duplicate of")
    assert folded.members.get().pk == second.pk  # its history and person kept
    assert AuditEvent.objects.filter(object_type="linkage.DuplicatePair", object_id=str(pair.pk)).exists()

    duplicates.undo_merge(pair, note="twins after all", actor=actor_of(coordinator))
    pair.refresh_from_db()
    assert pair.status == "open"
    kept, folded = Registration.objects.get(pk=kept_before.pk), Registration.objects.get(pk=folded_before.pk)
    assert (kept.registered_at, kept.status) == (kept_before.registered_at, "waiting")
    assert (folded.registered_at, folded.status, folded.household_size) == (
        folded_before.registered_at, "waiting", folded_before.household_size)
    assert list(folded.status_history.values_list("to_status", flat=True)) == ["withdrawn", "waiting"]


def test_the_later_registration_kept_takes_the_earlier_date(coordinator):
    late = waiting_person(last_name="Kaur", first_name="Jasleen", dob=DOB, registered_days_ago=10, phn="9345678918")
    early = waiting_person(last_name="Kaur", first_name="Jasleen", dob=DOB, registered_days_ago=300)
    early.phn = None
    early.save(update_fields=["phn"])
    a, b = sorted([late.pk, early.pk])
    pair = DuplicatePair.objects.create(a_id=a, b_id=b, division=late.registration.division, score=0.99,
                                        suggestion="merge", last_seen_at=late.created_at)
    duplicates.merge_pair(pair, actor=actor_of(coordinator))
    assert registration_of(late).registered_at == early.registration.registered_at  # nobody loses their place


def test_two_valid_phns_are_never_merged(coordinator):
    a = waiting_person(last_name="Lee", first_name="Kim", dob=DOB, phn="9345678918")
    b = waiting_person(last_name="Lee", first_name="Kim", dob=DOB, phn="9234567897")
    pair = DuplicatePair.objects.create(a_id=min(a.pk, b.pk), b_id=max(a.pk, b.pk), division=a.registration.division,
                                        score=0.9, suggestion="review", last_seen_at=a.created_at)
    with pytest.raises(duplicates.DuplicateError):
        duplicates.merge_pair(pair, actor=actor_of(coordinator))
    duplicates.mark_distinct(pair, note="siblings", actor=actor_of(coordinator))
    assert DuplicatePair.objects.get(pk=pair.pk).status == "distinct"


def test_pairs_are_seen_only_in_their_division(client, twice, other_coordinator, coordinator):
    find_registry_duplicates()
    pair = DuplicatePair.objects.get()
    login(client, other_coordinator)
    assert client.get(reverse("linkage:duplicate", args=[pair.pk])).status_code == 404
    assert "Thompson" not in client.get(reverse("linkage:duplicates")).content.decode()
    login(client, coordinator)
    response = client.post(reverse("linkage:duplicate", args=[pair.pk]), {"decision": "merge", "note": "same"})
    assert response.status_code == 302 and DuplicatePair.objects.get(pk=pair.pk).status == "merged"
