"""Helpers for the workflow tests: providers with declared places, runs, offers."""

import pytest

from attachment.matching.db import run_matching
from attachment.workflow import services
from attachment.workflow.models import MatchRun, Proposal
from providers.capacity import declare_capacity
from tests.factories import ProviderFactory, household


def accepting_provider(clinic, places, **fields):
    """A provider of `clinic` serving the clinic's community, with `places` declared."""
    provider = ProviderFactory(clinic=clinic, **fields)
    declare_capacity(provider, accepting=True, new_patients=places)
    provider.refresh_from_db()
    return provider


def run(user=None, **parameters) -> MatchRun:
    fields = {"division": parameters.get("division"), "community": parameters.get("community")}
    if parameters.get("supersede"):
        fields["supersede"] = True
    match_run = MatchRun.objects.create(started_by=user, parameters=fields)
    run_matching(match_run)
    match_run.refresh_from_db()
    return match_run


def offer_for(registration, by):
    """Run matching and send the registration's proposal as an offer."""
    run(by)
    proposal = Proposal.objects.get(registration=registration, status=Proposal.Status.PROPOSED)
    return services.send_offer(proposal.pk, by=by)


@pytest.fixture
def waiting_household(kamloops):
    return household(2, community=kamloops, languages=["pa"])


def ensure_geography():
    """Transactional tests flush every table after themselves, the migration-seeded BC
    geography included; put it back (cheaply, only when missing) before using it."""
    from registries.geography_data import load
    from registries.models import PCN, Community, Division, HealthAuthority

    if not Community.objects.filter(name="Kamloops").exists():
        load(HealthAuthority, Division, PCN, Community)


@pytest.fixture
def kamloops():
    from tests.factories import community

    ensure_geography()
    return community("Kamloops")
