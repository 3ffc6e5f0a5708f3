"""Races on real PostgreSQL: threads, each with its own connection, released together.

Each scenario must end with exactly one outcome: never capacity below zero, never a
household attached twice, never an offer both accepted and expired.
"""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from attachment.workflow import services
from attachment.workflow.capacity_refresh import expected_open_capacity
from attachment.workflow.models import Offer, Proposal
from patients.models import Registration
from providers.models import Provider
from registries.models import PanelEntry
from tests.attachment.conftest import accepting_provider, offer_for, run
from tests.factories import community, household

# Transactional: the threads' own connections must see the rows the test commits.
pytestmark = pytest.mark.django_db(transaction=True)


def race(*calls):
    """Run the calls in threads released at once; returns each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:  # the loser's refusal is part of the outcome
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a thread is stuck (deadlock?)"
    return results


def test_two_runs_race_for_the_last_place(clinic, kamloops):
    merritt = community("Merritt")
    provider = accepting_provider(clinic, 1)
    provider.communities.add(merritt)
    here = household(1, community=kamloops)
    there = household(1, community=merritt)

    results = race(lambda: run(community=kamloops.pk), lambda: run(community=merritt.pk))

    assert not any(isinstance(r, Exception) for r in results), results
    assert Proposal.objects.filter(registration__in=[here, there]).count() == 1
    assert Provider.objects.get(pk=provider.pk).open_capacity == 0
    assert sum(r.figures["proposed"] for r in results) == 1


def test_two_moas_accept_the_same_offer_at_once(clinic, kamloops, coordinator, moa):
    from providers.models import ClinicMembership
    from tests.factories import UserFactory

    other_moa = UserFactory(username="moa2")
    ClinicMembership.objects.create(clinic=clinic, user=other_moa)
    accepting_provider(clinic, 1)
    reg = household(1, community=kamloops)
    offer = offer_for(reg, coordinator)

    results = race(lambda: services.clinic_accept(offer.pk, by=moa),
                   lambda: services.clinic_accept(offer.pk, by=other_moa))

    wins = [r for r in results if isinstance(r, Offer)]
    losses = [r for r in results if isinstance(r, services.WorkflowError)]
    assert len(wins) == 1 and len(losses) == 1, results
    offer.refresh_from_db()
    assert offer.status == "clinic_accepted" and offer.clinic_answered_by == wins[0].clinic_answered_by


def test_two_confirmations_attach_the_household_once(clinic, kamloops, coordinator, moa):
    provider = accepting_provider(clinic, 2)
    reg = household(2, community=kamloops)
    offer = offer_for(reg, coordinator)
    services.clinic_accept(offer.pk, by=moa)

    results = race(lambda: services.patient_confirm(offer.pk, by=coordinator),
                   lambda: services.patient_confirm(offer.pk, by=None))

    assert sum(isinstance(r, Offer) for r in results) == 1, results
    assert sum(isinstance(r, services.WorkflowError) for r in results) == 1, results
    assert PanelEntry.objects.filter(provider=provider).count() == 2
    assert Provider.objects.get(pk=provider.pk).open_capacity == 0
    stored, expected = expected_open_capacity([provider.pk])[provider.pk]
    assert stored == expected


@pytest.mark.parametrize("attempt", range(2))
def test_attach_racing_expiry_ends_one_way(clinic, kamloops, coordinator, moa, attempt):
    provider = accepting_provider(clinic, 1)
    reg = household(1, community=kamloops)
    offer = offer_for(reg, coordinator)
    services.clinic_accept(offer.pk, by=moa)
    # Due tomorrow; the expiry job runs "the day after", the household answers now.
    Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() + datetime.timedelta(days=1))
    later = timezone.now() + datetime.timedelta(days=2)

    results = race(lambda: services.patient_confirm(offer.pk, by=coordinator),
                   lambda: services.expire_offers(now=later))

    offer.refresh_from_db()
    reg.refresh_from_db()
    provider.refresh_from_db()
    if offer.status == "attached":
        assert isinstance(results[0], Offer) and results[1] == 0
        assert reg.status == "attached"
        assert PanelEntry.objects.filter(provider=provider).count() == 1
        assert provider.open_capacity == 0
    else:
        assert offer.status == "expired"
        assert isinstance(results[0], services.WorkflowError) and results[1] == 1
        assert reg.status == Registration.Status.WAITING
        assert not PanelEntry.objects.filter(provider=provider).exists()
        assert provider.open_capacity == 1
    stored, expected = expected_open_capacity([provider.pk])[provider.pk]
    assert stored == expected >= 0
