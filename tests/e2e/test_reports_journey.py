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


# Every cell of every report table whose content is wider than the cell shows (clipped),
# and every table wider than its box (the figures on its right are out of sight).
CLIPPED = """() => {
  const out = [];
  document.querySelectorAll('.report .table-wrap').forEach((wrap) => {
    const caption = wrap.querySelector('caption').textContent.trim();
    if (wrap.scrollWidth > wrap.clientWidth + 1) {
      out.push(`${caption}: table ${wrap.scrollWidth}px in a ${wrap.clientWidth}px box`);
    }
    const page = document.documentElement.clientWidth;
    if (wrap.getBoundingClientRect().right > page + 1) {
      out.push(`${caption}: table ends at ${wrap.getBoundingClientRect().right}px of a ${page}px page`);
    }
    wrap.querySelectorAll('th, td').forEach((cell) => {
      if (cell.closest('tr').getBoundingClientRect().width <= 1) { return; }  // read to screen readers only
      if (cell.scrollWidth > cell.clientWidth + 1) {
        out.push(`${caption}: "${cell.textContent.trim()}" ${cell.scrollWidth}px in ${cell.clientWidth}px`);
      }
    });
  });
  return out;
}"""


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1440, 1280, 1024, 390])
def test_report_tables_fit_their_column_and_the_printout_says_what_it_shows(manager, thompson, live_server, page, width):
    kamloops = community("Kamloops")
    for i in range(14):
        RegistrationFactory(community=kamloops, registered_at=timezone.now() - datetime.timedelta(days=2 + i))
    services.build_snapshots([thompson.pk])
    page.set_viewport_size({"width": width, "height": 900})

    login_in_browser(page, live_server, manager.username)
    expect(page.locator("#report-capacity")).to_be_visible()
    # The period box shows the period the tables cover: 13 weeks, 13 rows.
    expect(page.locator("#id_weeks")).to_have_value("13")
    expect(page.locator("#report-waitlist tbody tr")).to_have_count(13)
    clipped = page.evaluate(CLIPPED)
    assert clipped == [], "\n".join(clipped)

    # On paper: the snapshot's date and every filter, though the filter box is not printed.
    page.emulate_media(media="print")
    header = page.locator("#print-header")
    expect(header).to_be_visible()
    expect(page.locator("form.filters")).to_be_hidden()
    as_of = services.local_today()
    expect(header).to_contain_text(f"snapshot of {as_of:%B} {as_of.day}, {as_of.year}")
    expect(header).to_contain_text("Division: Thompson Region Division of Family Practice")
    expect(header).to_contain_text("Community: All communities")
    expect(header).to_contain_text("Period: Last 13 weeks")
    expect(header).to_contain_text("Group by: By week")
    clipped = page.evaluate(CLIPPED)
    assert clipped == [], "\n".join(clipped)
    page.emulate_media(media="screen")
    expect(header).to_be_hidden()
