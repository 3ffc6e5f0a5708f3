"""What a system's busiest call costs the database: a page of a panel is one statement, the
page (scope folded in) and its audit row; the token is resolved from Redis after the first
call. A regression here is what the API benchmark (tests/bench/bench_api.py) would show."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from attachment.core import roles
from attachment.core.models import AuditEvent
from registries.models import PanelEntry
from tests.api.conftest import bearer, register
from tests.factories import PatientFactory


@pytest.mark.django_db
def test_a_panel_page_and_its_audit_row_are_one_statement(client, api_world):
    provider = api_world["provider"]
    for _ in range(5):
        PanelEntry.objects.create(provider=provider, patient=PatientFactory(), since=datetime.date(2022, 1, 1),
                                  source=PanelEntry.Source.UPLOAD)
    emr, secret = register(roles.MOA, [provider])
    headers = bearer(client, emr, secret)
    url = f"/api/v1/panels/{provider.pk}/entries/?page_size=3"
    assert client.get(url, **headers).status_code == 200  # the token resolved, and kept
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200 and len(response.json()["results"]) == 3
    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    assert statements == ["WITH"], [q["sql"][:120] for q in queries.captured_queries]
    event = AuditEvent.objects.latest("pk")
    assert event.object_id == str(provider.pk) and emr.name in event.summary


@pytest.mark.django_db
def test_a_panel_outside_the_scope_is_a_404_and_an_empty_own_panel_an_empty_page(client, api_world):
    provider, other = api_world["provider"], api_world["other_provider"]
    emr, secret = register(roles.MOA, [provider])
    headers = bearer(client, emr, secret)
    recorded = AuditEvent.objects.count()
    for pk in (other.pk, "abc", 10**9):  # another clinic's provider, no number, nobody
        assert client.get(f"/api/v1/panels/{pk}/entries/", **headers).status_code == 404
    assert AuditEvent.objects.count() == recorded  # nothing was read
    PanelEntry.objects.filter(provider=provider).update(ended_at=datetime.datetime.now(datetime.UTC),
                                                        end_reason="Moved away")
    empty = client.get(f"/api/v1/panels/{provider.pk}/entries/", **headers)
    assert empty.status_code == 200 and empty.json()["results"] == []
    assert AuditEvent.objects.filter(object_id=str(provider.pk), summary__contains="(0 patients)").exists()
