"""Browser journeys of the EMR handoff: the clinic lead sets the clinic's webhook and retries
a delivery that kept failing; the MOA downloads the handoff from the attached offer."""

import json
import re

import pytest
from playwright.sync_api import expect

from attachment.core import roles
from fhir.models import ClinicIntegration, Delivery
from tests.conftest import until
from tests.e2e.conftest import assert_accessible, login_in_browser
from tests.factories import UserFactory
from tests.fhir.conftest import attached_offer


@pytest.mark.django_db(transaction=True)
def test_the_clinic_lead_sets_the_webhook_and_retries_a_failed_delivery(
        live_server, page, celery_worker_real, settings, clinic, provider, coordinator, moa, kamloops):
    settings.ATTACH_WEBHOOK_MAX_ATTEMPTS = 1
    lead = UserFactory(username="lead")
    roles.grant_clinic(lead, clinic)
    login_in_browser(page, live_server, "lead")
    page.goto(f"{live_server.url}/fhir/clinics/{clinic.pk}/integration")
    expect(page.get_by_role("heading", name="EMR integration")).to_be_visible()
    page.get_by_label("MSP facility number").fill("K1234")
    page.get_by_label("Webhook URL").fill("https://emr.invalid/attach-hook")
    page.get_by_label("Webhook secret").fill("correct-horse-battery-staple")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("A secret is saved.")).to_be_visible()
    assert_accessible(page)
    integration = ClinicIntegration.objects.get(clinic=clinic)
    assert integration.facility_number == "K1234" and integration.pushes

    offer = attached_offer(provider, coordinator, moa, kamloops)  # the worker tries once, and gives up
    until(lambda: Delivery.objects.filter(offer=offer, status="failed").exists(), "the failed delivery")
    page.get_by_role("link", name="Failed handoff deliveries").click()
    row = page.get_by_role("row", name=re.compile(f"#{offer.pk}"))
    expect(row).to_contain_text(str(provider))
    assert_accessible(page)
    failed_at = Delivery.objects.get(offer=offer).last_attempt_at
    settings.ATTACH_WEBHOOK_MAX_ATTEMPTS = 3
    row.get_by_role("button", name="Retry").click()
    expect(page.get_by_text("Delivery queued again.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(f"#{offer.pk}"))).to_have_count(0)
    # The worker tries again at once (a fresh round of attempts): still failing, so pending its backoff.
    retried = until(lambda: Delivery.objects.filter(offer=offer, status="pending", attempts=1,
                                                    last_attempt_at__gt=failed_at).first(), "the retried attempt")
    assert "emr.invalid" in retried.url and retried.last_error


@pytest.mark.django_db(transaction=True)
def test_the_moa_downloads_the_handoff_from_the_attached_offer(live_server, page, clinic, provider, coordinator, moa,
                                                                kamloops):
    offer = attached_offer(provider, coordinator, moa, kamloops, size=2)
    login_in_browser(page, live_server, "moa")
    page.goto(f"{live_server.url}/matching/offers/{offer.pk}/")
    expect(page.get_by_role("heading", name="EMR handoff")).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the EMR handoff (FHIR JSON)").click()
    bundle = json.loads(open(download.value.path()).read())
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    assert sum(e["resource"]["resourceType"] == "Patient" for e in bundle["entry"]) == 2
