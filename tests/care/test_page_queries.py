"""The worklist and the caseload cost a fixed number of queries, whatever the page holds:
no query per row (an N+1 here is a query per patient at a PCN's scale, 50 per page)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from care import services
from care.models import CareProfile
from tests.care.conftest import actor, on_panel
from tests.conftest import login

pytestmark = pytest.mark.django_db

# The pinned counts. Both: the session, the user, the user's roles, the providers they act
# for, their PCNs' providers, their PCNs; then the page's ids in order, those rows with their
# joins, the audit row. The worklist also sets its statement's planner settings, inside a
# savepoint (3); the caseload lists the PCNs and the programmes of its filter (2). Raise them
# only for a reason that does not grow with the rows.
WORKLIST_QUERIES = 12
CASELOAD_QUERIES = 11
QUERIES = []


def _caseload_of(n, provider, frailty, coordinator, kamloops_pcn):
    today = timezone.localdate()
    for i in range(n):
        person = on_panel(provider, last_name=f"Person{i:02d}")
        services.enrol(person, programme=frailty, reason="Falls", need_level=1 + i % 4, actor=actor(coordinator))
        services.log_contact(person, contacted_on=today - datetime.timedelta(days=i), channel="phone",
                             contacted="patient", minutes=5, outcome="reached", category="assessment",
                             actor=actor(coordinator))
        CareProfile.objects.create(patient=person, risk_category="moderate", updated_at=timezone.now())
        services.create_task(pcn=kamloops_pcn, patient=person, title=f"Call {i}", due_on=today,
                             assigned_to=coordinator if i % 2 else None, actor=actor(coordinator))


def _queries(client, url, params=None):
    client.get(url, params or {})  # warm: content types and the like are cached per process
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    QUERIES[:] = [queries.captured_queries]
    assert response.status_code == 200
    return len(queries.captured_queries), response.content.decode()


@pytest.mark.parametrize("url,params", [
    ("care:worklist", {}), ("care:worklist", {"horizon": "7", "who": "mine"}),
    ("care:caseload", {}), ("care:caseload", {"q": "Person"}), ("care:caseload", {"need_level": "2"}),
])
def test_a_page_costs_the_same_queries_for_3_rows_as_for_12(client, care_coordinator, provider, frailty, kamloops_pcn,
                                                            url, params):
    login(client, care_coordinator)
    _caseload_of(3, provider, frailty, care_coordinator, kamloops_pcn)
    few, page = _queries(client, reverse(url), params)
    assert "Person01" in page
    _caseload_of(9, provider, frailty, care_coordinator, kamloops_pcn)
    many, page = _queries(client, reverse(url), params)
    assert few == many, (few, many)
    assert many == (WORKLIST_QUERIES if url == "care:worklist" else CASELOAD_QUERIES), "\n".join(
        q["sql"][:160] for q in QUERIES[0])
