"""The Bulk Data kick-off's request headers: `Prefer: respond-async` is required (400, an
OperationOutcome naming the header, nothing queued); `Accept`, when given, must admit
application/fhir+json (406 otherwise); an absent Accept or a wildcard is taken as it."""

import pytest
from fhir.resources.R4B import get_fhir_model_class

from api.models import BulkExport
from tests.conftest import login
from tests.fhir.conftest import panel_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def exporter(client, moa, provider):
    panel_of(provider, 2)
    login(client, moa)
    return client


def _outcome(response, status_code, expression):
    assert response.status_code == status_code, response.content
    outcome = response.json()
    get_fhir_model_class("OperationOutcome").model_validate(outcome)
    assert outcome["issue"][0]["expression"] == [expression]
    return outcome


@pytest.mark.parametrize("url", ["/fhir/$export", "/fhir/Group/{provider}/$export"])
def test_a_kickoff_without_prefer_respond_async_is_refused(exporter, provider, url):
    url = url.format(provider=provider.pk)
    outcome = _outcome(exporter.get(url), 400, "Prefer")
    assert "Prefer: respond-async" in outcome["issue"][0]["diagnostics"]
    _outcome(exporter.get(url, HTTP_PREFER="return=representation"), 400, "Prefer")
    assert not BulkExport.objects.exists()
    # With it (among other preferences, in any case) it is queued.
    assert exporter.get(url, HTTP_PREFER="handling=lenient, Respond-Async").status_code == 202
    assert BulkExport.objects.count() == 1


def test_accept_must_admit_fhir_json_when_given(exporter):
    for accept in ("text/csv", "application/xml", "application/json"):
        _outcome(exporter.get("/fhir/$export", HTTP_PREFER="respond-async", HTTP_ACCEPT=accept), 406, "Accept")
    assert not BulkExport.objects.exists()
    for accept in ("application/fhir+json", "*/*", "application/fhir+json; charset=utf-8", "text/html, */*;q=0.1"):
        response = exporter.get("/fhir/$export", HTTP_PREFER="respond-async", HTTP_ACCEPT=accept)
        assert response.status_code == 202, accept
    assert exporter.get("/fhir/$export", HTTP_PREFER="respond-async").status_code == 202  # no Accept at all
    assert BulkExport.objects.count() == 5
