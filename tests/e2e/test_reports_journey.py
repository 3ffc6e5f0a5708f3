"""A division manager opens the reports, filters to one community, and downloads a CSV."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reports import services
from tests.e2e.conftest import login_in_browser
from tests.factories import RegistrationFactory, community


@pytest.mark.django_db(transaction=True)
def test_manager_filters_by_community_and_downloads_csv(manager, thompson, live_server, page):
    kamloops = community("Kamloops")
    for i in range(14):
        RegistrationFactory(community=kamloops, registered_at=timezone.now() - datetime.timedelta(days=2 + i))
    services.build_snapshots([thompson.pk])

    login_in_browser(page, live_server, manager.username)
    expect(page.locator("h1")).to_contain_text("Reports: Thompson Region Division of Family Practice")
    # Chart.js drew the charts beside the tables.
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('chart-flows'))")

    page.select_option("#id_community", label="Kamloops")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("Reports: Kamloops")
    flows = page.locator("#report-flows")
    expect(flows.locator("tfoot").first).to_contain_text("14")

    with page.expect_download() as download_info:
        flows.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("flows-")
    with open(download.path(), encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    assert lines[0] == "Period,New registrations (households),Attachments (households)"
    assert "Total for the period,14,0" in lines
    assert "Kamloops" in lines[-2]
