"""Browser journey of a clinic MOA: declare capacity, upload a panel file with bad rows, load the good rows."""

import re

import pytest
from playwright.sync_api import expect

from providers.models import CapacityDeclaration
from registries.models import PanelEntry
from tests.e2e.conftest import login_in_browser
from tests.factories import valid_phns


def _phns(n, start=60_000_000):
    return valid_phns(n, start)


@pytest.mark.django_db(transaction=True)
def test_moa_declares_capacity_uploads_a_panel_with_bad_rows_and_loads_the_good_ones(
    live_server, page, moa, provider, celery_worker_real, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    login_in_browser(page, live_server, "moa")
    page.goto(f"{live_server.url}/clinic/")
    expect(page.get_by_role("heading", name="Clinic workspace")).to_be_visible()
    expect(page.get_by_role("link", name="Open the offers inbox")).to_have_attribute("href", "/matching/offers/")

    row = page.get_by_role("row", name=re.compile("Amrit Singh"))
    row.get_by_role("link", name="Capacity").click()
    page.get_by_label("Yes").check()
    page.get_by_label("New patients you can take now").fill("8")
    page.get_by_label("New patients per month, ongoing").fill("2")
    page.get_by_label("Desired panel size").fill("1300")
    page.get_by_role("button", name="Declare capacity").click()
    expect(page.get_by_test_id("open-capacity")).to_have_text("8")
    expect(page.get_by_role("table")).to_contain_text("1300")
    assert CapacityDeclaration.objects.filter(provider=provider, new_patients=8, declared_by=moa).exists()

    good = _phns(4)
    lines = ["\ufeffPHN,Last_Name,First_Name,Date_Of_Birth,Gender,Postal_Code,Last_Visit"]
    lines += [f"{p},Patient{i},Pat,1975-03-0{i + 1},F,V2C1A1,2025-11-01" for i, p in enumerate(good)]
    lines += ["9123456780,Wrong,Check,1975-03-01,,,", f"{good[0]},Twice,Listed,1975-03-01,,,", f"{_phns(1, 61_000_000)[0]},NoDate,Given,,,,"]
    page.get_by_role("link", name="Upload a panel file").first.click()
    page.get_by_label("Panel file (CSV)").set_input_files(
        files=[{"name": "emr-export.csv", "mimeType": "text/csv", "buffer": "\r\n".join(lines).encode() + b"\r\n"}]
    )
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_role("heading", name="Panel file report")).to_be_visible()
    expect(page.get_by_test_id("rows-read")).to_have_text("7")
    expect(page.get_by_test_id("rows-valid")).to_have_text("4")
    bad = page.get_by_test_id("bad-rows")
    expect(bad).to_contain_text("check digit")
    expect(bad.get_by_role("row", name=re.compile(r"^7 phn The same PHN is on line 2\."))).to_be_visible()
    expect(bad.get_by_role("row", name=re.compile(r"^8 date_of_birth"))).to_be_visible()
    assert not PanelEntry.objects.exists()

    page.get_by_role("button", name="Load the valid rows").click()
    expect(page.get_by_test_id("load-done")).to_contain_text("4 patients added", timeout=30_000)
    expect(page.locator("progress")).to_have_attribute("value", "100")
    assert PanelEntry.objects.filter(provider=provider, ended_at__isnull=True).count() == 4

    page.get_by_role("link", name="See the panel").click()
    expect(page.get_by_text("4 patients on the panel")).to_be_visible()
