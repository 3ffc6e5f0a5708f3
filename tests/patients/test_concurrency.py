"""Two submits at the same moment: the database, not luck, keeps one registration."""

import datetime
import threading
import uuid

import pytest
from django.db import connection

from patients import services
from patients.models import Patient, Registration
from tests.factories import community, next_phn


def _race(*calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 — the outcome is what the test inspects
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _register(phn, token, source=Registration.Source.SELF):
    return lambda: services.register_household(
        services.Household(community=community("Kamloops"), phone="250-555-0100"),
        [services.Member("Ana", "Lopez", datetime.date(1985, 3, 2), phn)],
        submission_token=token, source=source,
    )


@pytest.mark.django_db(transaction=True)
def test_a_double_click_racing_itself_makes_one_registration():
    token, phn = uuid.uuid4(), next_phn()
    results = _race(_register(phn, token), _register(phn, token))
    assert Registration.objects.count() == 1 and Patient.objects.filter(phn=phn).count() == 1
    assert all(isinstance(r, tuple) for r in results), results
    assert {r[0].pk for r in results} == {Registration.objects.get().pk}
    assert sorted(r[1] for r in results) == [False, True]


@pytest.mark.django_db(transaction=True)
def test_two_households_racing_with_the_same_person_make_one_registration():
    phn = next_phn()
    staff = Registration.Source.STAFF
    results = _race(_register(phn, uuid.uuid4(), staff), _register(phn, uuid.uuid4(), staff))
    assert Registration.objects.count() == 1
    assert sum(isinstance(r, services.AlreadyRegistered) for r in results) == 1, results


@pytest.mark.django_db(transaction=True)
def test_two_public_forms_racing_with_the_same_person_hold_the_second_for_a_coordinator():
    from patients.models import IdentityConflict

    phn = next_phn()
    results = _race(_register(phn, uuid.uuid4()), _register(phn, uuid.uuid4()))
    assert all(isinstance(r, tuple) and r[1] for r in results), results  # both told the same
    assert Registration.objects.count() == 2 and Patient.objects.filter(phn=phn).count() == 1
    held = IdentityConflict.objects.get()
    assert held.kind == "duplicate" and held.registration != Patient.objects.get(phn=phn).registration
