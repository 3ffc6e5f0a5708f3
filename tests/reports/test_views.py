"""Who may see the reports, and that nobody reaches a person's record through them."""

import datetime
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from attachment.core import roles
from attachment.core.models import AuditEvent
from patients.models import Registration
from providers.models import Provider
from registries.models import PanelEntry
from reports import services
from tests.conftest import login
from tests.factories import (
    ClinicFactory,
    PatientFactory,
    ProviderFactory,
    RegistrationFactory,
    UserFactory,
    community,
)

pytestmark = pytest.mark.django_db

DASHBOARD = "/reports/"


@pytest.fixture
def snapshots(seeded, thompson, other_division):
    return services.build_snapshots([thompson.pk, other_division.pk])


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", [roles.MOA, roles.PROVIDER, roles.CLINIC_LEAD])
def test_other_roles_are_refused(client, role):
    user = UserFactory(username=f"someone-{role[:4].lower()}")
    roles.add_role(user, role)
    login(client, user)
    for url in (DASHBOARD, reverse("reports:forecast"), reverse("reports:export", args=["flows"])):
        assert client.get(url).status_code == 403


def test_manager_sees_own_division_with_charts_and_tables(client, manager, snapshots):
    response = login(client, manager).get(DASHBOARD)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Thompson Region Division of Family Practice" in html
    assert "chart-4.6.1.umd.min.js" in html
    for key in ("waitlist", "flows", "waits", "capacity", "panels"):
        assert f'id="report-{key}"' in html and f'id="chart-{key}"' in html
    assert "&lt;10" in html


def test_manager_never_sees_another_divisions_figures(client, manager, other_division, snapshots):
    login(client, manager)
    assert client.get(DASHBOARD, {"division": other_division.pk}).status_code == 404
    assert client.get(reverse("reports:export", args=["flows"]), {"division": other_division.pk}).status_code == 404
    assert client.get(reverse("reports:forecast"), {"division": other_division.pk}).status_code == 404
    assert client.post(reverse("reports:refresh"), {"division": other_division.pk}).status_code == 404
    # Nor by naming one of its communities under their own division.
    victoria = community("Victoria")
    response = client.get(DASHBOARD, {"community": victoria.pk})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert "Victoria" not in "".join(str(r) for r in response.context["reports"])


def test_filters_by_community_and_rejects_a_community_outside_the_pcn(client, manager, thompson, snapshots):
    login(client, manager)
    chase = community("Chase")
    response = client.get(DASHBOARD, {"division": thompson.pk, "community": chase.pk, "weeks": 52, "by": "month"})
    assert response.status_code == 200
    assert response.context["scope"].label == "Chase"
    other_pcn = community("Victoria").pcn
    response = client.get(DASHBOARD, {"division": thompson.pk, "pcn": other_pcn.pk})
    assert "Select a valid choice" in response.content.decode()


def test_csv_has_the_pages_figures_and_is_audited(client, manager, thompson, snapshots):
    login(client, manager)
    response = client.get(reverse("reports:export", args=["flows"]), {"division": thompson.pk, "weeks": 4})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "Period,New registrations (households),Attachments (households)"
    # The period's attachments (21) are published; its 22 registrations sit in small
    # cells a subtraction could undo, so that total is withheld ("x").
    assert "Total for the period,x,21" in lines
    event = AuditEvent.objects.get(action="export", user=manager)
    assert event.object_type == "reports.ReportSnapshot"
    assert "flows" in event.summary


def test_forecast_page_states_assumptions_and_result(client, manager, thompson, snapshots):
    response = login(client, manager).get(reverse("reports:forecast"), {"division": thompson.pk, "extra": 40})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Assumptions" in html and "trailing" in html
    assert "With 40 more places a month" in html
    assert ("Clears in about" in html) or ("Does not clear at current rates" in html)


def test_forecast_refuses_a_small_area(client, manager, thompson, snapshots):
    response = login(client, manager).get(reverse("reports:forecast"), {"division": thompson.pk, "community": community("Chase").pk})
    assert "No forecast for Chase" in response.content.decode()


def test_no_snapshot_yet_offers_to_build_one(client, manager, thompson):
    html = login(client, manager).get(DASHBOARD).content.decode()
    assert "no snapshot of Thompson" in html and "Build a fresh snapshot now" in html


def test_invalid_period_gets_a_field_message(client, manager, thompson, snapshots):
    html = login(client, manager).get(DASHBOARD, {"division": thompson.pk, "weeks": 7}).content.decode()
    assert "Please correct the filters" in html and "Select a valid choice" in html


# --- no personal record through any URL --------------------------------------------

@pytest.fixture
def person(thompson, kamloops):
    """A household and a panel patient with names and PHNs nobody would write by chance."""
    registration = RegistrationFactory(community=kamloops, registered_at=timezone.now() - datetime.timedelta(days=40))
    waiting = PatientFactory(registration=registration, first_name="Zebulon", last_name="Quattlebaum", is_primary_contact=True)
    provider = ProviderFactory(clinic=ClinicFactory(community=kamloops))
    paneled = PatientFactory(first_name="Ottoline", last_name="Fairweatherby")
    entry = PanelEntry.objects.create(patient=paneled, provider=provider, since=datetime.date(2021, 3, 1), source="upload")
    return {"registration": registration, "patients": [waiting, paneled], "provider": provider, "entry": entry}


def _routes(resolvers, prefix=""):
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            route = str(entry.pattern)
            if route.startswith("^") or "admin" in route:
                continue  # the admin is checked below by its own URLs
            yield from _routes(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            route = str(entry.pattern)
            if not route.startswith("^"):
                yield prefix + route


def _fill(route, person):
    """Every way of filling a route's parameters with the seeded person's identifiers."""
    reg, patient = person["registration"], person["patients"][0]
    ids = [reg.pk, patient.pk, person["patients"][1].pk, person["provider"].pk, person["entry"].pk]
    texts = [reg.reference_code, patient.phn, str(reg.pk)]
    params = re.findall(r"<(?:(\w+):)?(\w+)>", route)
    urls = [route]
    for conv, name in params:
        values = ids if conv == "int" else texts
        urls = [re.sub(r"<(?:\w+:)?" + name + ">", str(v), u, count=1) for u in urls for v in values]
    return ["/" + u for u in urls]


def test_a_manager_reaches_no_personal_record_by_any_url(client, manager, person, thompson):
    services.build_snapshots([thompson.pk])
    login(client, manager)
    client.raise_request_exception = False
    secrets = []
    for p in person["patients"]:
        secrets += [p.phn, p.first_name, p.last_name]
    visited = 0
    for route in _routes(get_resolver().url_patterns):
        for url in _fill(route, person):
            response = client.get(url)
            visited += 1
            body = response.content.decode(errors="replace")
            for secret in secrets:
                if secret in url:
                    continue  # a page may echo what was typed into its address; that discloses nothing
                assert secret not in body, f"{url} shows {secret}"
    assert visited > 20
    # The person's own pages are refused outright, not just blank.
    for url in (
        reverse("patients:registration", args=[person["registration"].pk]),
        reverse("patients:edit", args=[person["registration"].pk]),
        reverse("registries:panel", args=[person["provider"].pk]),
    ):
        assert client.get(url).status_code in (403, 404), url
    # The admin: a manager is no administrator.
    for url in (f"/admin/patients/patient/{person['patients'][0].pk}/change/",
                f"/admin/patients/registration/{person['registration'].pk}/change/"):
        response = client.get(url)
        assert response.status_code in (302, 403, 404)
        assert person["patients"][0].phn not in response.content.decode()


def test_job_runs_are_shown_to_administrators_only(client, manager, administrator, thompson, snapshots):
    from attachment.core.jobs import tracked

    with tracked("report_snapshot") as run:
        run.summary = "Built 2 division snapshot(s)"
    assert "Background jobs" not in login(client, manager).get(DASHBOARD).content.decode()
    roles.grant_division(administrator, thompson, manager=True)
    html = login(client, administrator).get(DASHBOARD).content.decode()
    assert "Background jobs" in html and "Built 2 division snapshot(s)" in html
    assert Registration.objects.exists() and Provider.objects.exists()


# --- what the page says (issue 16, item 18) ---------------------------------------------

def _text(html):
    """The words a reader sees: no tags, scripts or attribute values."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_period_box_shows_the_period_the_page_reports(client, manager, thompson, snapshots):
    response = login(client, manager).get(DASHBOARD)
    html = response.content.decode()
    weeks = response.context["scope"].weeks
    assert weeks == 13
    assert re.search(r'<option value="13" selected>Last 13 weeks</option>', html)
    assert re.search(r'<option value="week" selected>By week</option>', html)
    waitlist = next(r for r in response.context["reports"] if r.key == "waitlist")
    assert len(waitlist.tables[0].rows) == weeks


def test_counts_of_providers_and_places_are_shown_exactly(client, manager, thompson, snapshots):
    response = login(client, manager).get(DASHBOARD, {"division": thompson.pk})
    reports = {r.key: r for r in response.context["reports"]}
    capacity = {row[0]: row for row in reports["capacity"].tables[0].rows}
    assert capacity["Kamloops"][3] == 2  # providers accepting: not "<10"
    assert capacity["Chase"][4] == 12 and capacity["Chase"][5] == 12  # places declared, open
    assert capacity["Chase"][1] == "<10"  # people waiting stay suppressed
    panels = {row[0]: row[1] for row in reports["panels"].tables[1].rows}
    assert panels["Providers"] == 4 and panels["Providers accepting new patients"] == 3
    assert panels["Average panel size"] == round(155 / 4)
    bands = dict(reports["panels"].tables[0].rows)
    assert bands["0"] == 1 and bands["1–499"] == 3
    html = response.content.decode()
    assert "Counts of providers and places are shown exactly" in html


def test_a_chart_with_every_figure_withheld_says_so(client, manager, thompson, snapshots):
    response = login(client, manager).get(DASHBOARD, {"division": thompson.pk, "community": community("Chase").pk})
    html = response.content.decode()
    # Chase has fewer than 10 people in every priority group: no wait can be shown.
    assert 'id="chart-withheld-waits"' in html and 'id="chart-waits"' not in html
    section = html[html.index('id="report-waits"'):html.index('id="report-capacity"')]
    assert "No chart for Chase" in _text(section) and "fewer than 10" in _text(section)
    # A chart with something to draw is drawn.
    assert 'id="chart-capacity"' in html and 'id="chart-withheld-capacity"' not in html


def test_no_code_names_on_the_pages(client, manager, thompson, snapshots):
    login(client, manager)
    for url in (DASHBOARD, reverse("reports:forecast")):
        text = _text(client.get(url, {"division": thompson.pk, "extra": 10}).content.decode())
        assert not re.findall(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b", text), url
    assert "trailing 13 weeks" in text


def test_the_printout_carries_the_snapshot_date_and_the_filters(client, manager, thompson, snapshots):
    login(client, manager)
    chase = community("Chase")
    html = client.get(DASHBOARD, {"division": thompson.pk, "community": chase.pk, "weeks": 52, "by": "month"}).content.decode()
    as_of = snapshots[0].as_of
    header = _text(html[html.index('id="print-header"'):])
    header = header[:header.index("Printed")]
    assert f"snapshot of {as_of:%B} {as_of.day}, {as_of.year}" in header
    for words in ("Division: Thompson Region Division of Family Practice", "PCN: All PCNs", "Community: Chase",
                  "Period: Last 52 weeks", "Group by: By month"):
        assert words in header
    html = client.get(reverse("reports:forecast"), {"division": thompson.pk, "extra": 40}).content.decode()
    header = _text(html[html.index('id="print-header"'):])
    assert f"snapshot of {as_of:%B} {as_of.day}, {as_of.year}" in header
    assert "Rates from: Last 13 weeks" in header and "Extra places a month: 40" in header


@pytest.fixture
def quiet_division(thompson, today_noon):
    """A division where nobody joined or left in the last 4 weeks, and 22 did over 13."""
    from tests.reports.conftest import Seeded, make_registration

    s = Seeded()
    for i in range(12):
        make_registration(s, "Kamloops", registered=40 + 2 * i, today_noon=today_noon)
    for i in range(10):
        make_registration(s, "Kamloops", status="attached", registered=70 + i, changed=35 + 2 * i, today_noon=today_noon)
    return services.build_snapshots([thompson.pk])


def test_the_forecast_of_a_quiet_whole_division_takes_a_longer_period(client, manager, thompson, quiet_division):
    html = login(client, manager).get(reverse("reports:forecast"), {"division": thompson.pk, "weeks": 4}).content.decode()
    text = _text(html)
    assert "No forecast" not in text
    assert "Rates are from the last 13 weeks" in text
    assert "Joined the list in the last 13 weeks 22" in text and "Left the list in the last 13 weeks 10" in text
    assert ("Clears in about" in text) or ("Does not clear at current rates" in text)


def test_a_division_too_small_to_forecast_is_not_told_to_choose_a_larger_area(client, manager, thompson, today_noon):
    from tests.reports.conftest import Seeded, make_registration

    for i in range(5):
        make_registration(Seeded(), "Kamloops", registered=3 + i, today_noon=today_noon)
    services.build_snapshots([thompson.pk])
    text = _text(login(client, manager).get(reverse("reports:forecast"), {"division": thompson.pk}).content.decode())
    assert "No forecast for Thompson Region Division of Family Practice" in text
    assert "larger area" not in text
