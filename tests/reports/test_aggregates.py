"""The snapshot's aggregates equal counts made by hand from what the test created."""

import statistics

import pytest
from django.utils import timezone

from patients.models import Registration
from registries.models import Community
from reports import selectors, services
from reports.models import ReportSnapshot

pytestmark = pytest.mark.django_db


def percentile_cont(values, q):
    """PostgreSQL's percentile_cont: linear interpolation between the closest ranks."""
    values = sorted(values)
    pos = q * (len(values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


@pytest.fixture
def snapshot(seeded, thompson):
    return services.build_snapshots([thompson.pk])[0]


def scope(snapshot, **kw):
    return selectors.Scope(snapshot=snapshot, weeks=kw.pop("weeks", 13), by=kw.pop("by", "week"), **kw)


def test_counts_per_community_match_a_hand_count(seeded, snapshot, thompson):
    per = snapshot.data["by_community"]
    names = {str(c.pk): c.name for c in Community.objects.filter(division=thompson)}
    for cid, s in per.items():
        name = names[cid]
        mine = [r for r in seeded.registrations if r[0] == name]
        waiting = [r for r in mine if r[1] == "waiting"]
        assert s["waiting"] == len(waiting), name
        assert s["waiting_people"] == sum(r[4] for r in waiting), name
        assert sum(s["reg"]) == len(mine), name  # every registration is within the 52 weeks
        assert sum(s["att"]) == len([r for r in mine if r[1] == "attached"]), name
        # The waitlist at the end of the window is today's waitlist.
        assert s["base"] + sum(s["joins"]) - sum(s["leaves"]) == len(waiting), name
    assert "Victoria" not in str(snapshot.data["communities"])


def consistent(displayed, true):
    """A displayed figure tells the truth: the count itself, "<10" for 1..9, "x" for 0 or 10+."""
    if displayed == "<10":
        return 0 < true < 10
    if displayed == "x":
        return true == 0 or true >= 10
    return displayed == true


def test_division_report_shows_hand_counts_and_suppresses_small_ones(seeded, snapshot):
    flows = selectors.flows_report(scope(snapshot, weeks=4))
    thompson_regs = [r for r in seeded.registrations if r[0] != "Victoria"]
    attached_4w = [r for r in thompson_regs if r[1] == "attached" and r[3] <= 27]
    registered_4w = [r for r in thompson_regs if r[2] <= 27]
    total = flows.tables[0].total
    # 22 registrations, mostly in small weekly and community cells: withheld or exact.
    assert consistent(total[1], len(registered_4w)) and len(registered_4w) == 22
    assert total[2] == len(attached_4w) == 21
    # Week by week (the last bucket is the last 7 days, today included).
    for i, row in enumerate(flows.tables[0].rows):
        lo, hi = 7 * (3 - i), 7 * (3 - i) + 6
        assert consistent(row[1], len([r for r in registered_4w if lo <= r[2] <= hi])), row
        assert consistent(row[2], len([r for r in attached_4w if lo <= r[3] <= hi])), row
    # By community: Chase's one attachment is "<10", and Kamloops is withheld with it,
    # so the PCN's total minus the shown communities does not give Chase away.
    rows = {row[0]: row for row in flows.tables[1].rows}
    for name in ("Kamloops", "Chase", "Barriere", "Logan Lake"):
        assert consistent(rows[name][1], len([r for r in registered_4w if r[0] == name])), name
        assert consistent(rows[name][2], len([r for r in attached_4w if r[0] == name])), name
    assert rows["Chase"][2] == "<10"
    assert rows["Kamloops"][2] == "x"
    assert rows["Kamloops PCN"][2] == 21


def test_waitlist_series_ends_at_todays_waitlist(seeded, snapshot):
    report = selectors.waitlist_report(scope(snapshot, weeks=13))
    waiting = len([r for r in seeded.registrations if r[0] != "Victoria" and r[1] == "waiting"])
    assert report.tables[0].rows[-1][1] == waiting == 45
    # Eight weeks ago (registrations 1..60 days ago): count by hand who was waiting then.
    day = 7 * 8  # end of the bucket eight weeks before the last one
    then = [
        r for r in seeded.registrations
        if r[0] != "Victoria" and r[2] > day and (r[1] == "waiting" or r[3] <= day)
    ]
    value = report.tables[0].rows[-9][1]
    assert value == (len(then) if len(then) >= 10 else "<10")


def test_wait_percentiles_match_percentile_cont_by_hand(seeded, snapshot, thompson):
    today = timezone.localdate()
    people_waiting = []
    for name, status, registered, _changed, size, _priority in seeded.registrations:
        if name != "Victoria" and status == "waiting":
            people_waiting += [registered] * size
    rows = {r["group"]: r for r in snapshot.data["waits"]
            if r["level"] == "division" and r["key"] == thompson.pk and r["weeks"] == 0}
    assert rows["all"]["n"] == len(people_waiting)
    assert rows["all"]["p50"] == pytest.approx(percentile_cont(people_waiting, 0.5), abs=0.05)
    assert rows["all"]["p90"] == pytest.approx(percentile_cont(people_waiting, 0.9), abs=0.05)
    attached_waits = [r[2] - r[3] for r in seeded.registrations if r[0] != "Victoria" and r[1] == "attached"]
    rows = {r["group"]: r for r in snapshot.data["waits"]
            if r["level"] == "division" and r["key"] == thompson.pk and r["weeks"] == 4}
    assert rows["all"]["n"] == len(attached_waits) == 21
    assert rows["all"]["p50"] == pytest.approx(statistics.median(attached_waits), abs=0.05)
    # On the page: "Priority 4 or more" among the attached has no one: withheld; Everyone is shown.
    report = selectors.waits_report(scope(snapshot, weeks=4))
    table = {row[0]: row for row in report.tables[0].rows}
    assert table["Everyone"][1] == round(statistics.median(attached_waits))
    assert table["Priority 4 or more"][1] == "–"
    assert today  # the waits are measured to the snapshot's day


def test_capacity_and_panels_match_the_providers_created(seeded, snapshot):
    report = selectors.capacity_report(scope(snapshot))
    rows = {row[0]: row for row in report.tables[0].rows}
    kamloops = [p for p in seeded.providers if p[0] == "Kamloops"]
    assert rows["Kamloops"][4] == sum(p[2] for p in kamloops if p[1]) == 25  # declared
    assert rows["Kamloops"][5] == sum(p[3] for p in kamloops if p[1]) == 20  # open places
    assert rows["Kamloops"][3] == 2  # providers accepting: counts of providers are not suppressed
    panels = selectors.panels_report(scope(snapshot))
    facts = {r[0]: r[1] for r in panels.tables[1].rows}
    assert facts["People on open panels"] == 155
    assert facts["Providers"] == 4
    assert facts["Average panel size"] == round(155 / 4)


def test_rebuilding_the_same_day_replaces_the_snapshot(seeded, thompson):
    services.build_snapshots([thompson.pk])
    services.build_snapshots([thompson.pk])
    assert ReportSnapshot.objects.filter(division=thompson).count() == 1


def test_every_displayed_count_is_zero_ten_or_more_or_suppressed(seeded, snapshot):
    exact = 0
    for weeks in (4, 13, 26, 52):
        for by in ("week", "month"):
            for report in selectors.all_reports(scope(snapshot, weeks=weeks, by=by)):
                if report.key == "waits":
                    continue  # days, not counts
                for table in report.tables:
                    for row in table.rows + ([table.total] if table.total else []):
                        for i, value in enumerate(row[table.numeric_from:], start=table.numeric_from):
                            if i in table.exact_columns:
                                exact += 1  # providers and places: counts of no one
                                continue
                            assert not (isinstance(value, int) and 0 < value < 10), (report.key, row)
    # Only the capacity and panel figures are exempt; people waiting are among the checked.
    assert exact and all(
        t.exact_columns == () or report.key in ("capacity", "panels")
        for report in selectors.all_reports(scope(snapshot)) for t in report.tables
    )


def test_offer_report_matches_the_offers_made(seeded, thompson, today_noon):
    import datetime

    from attachment.workflow.models import MatchRun, Offer, Proposal
    from providers.models import Provider

    provider = Provider.objects.filter(clinics__community__name="Kamloops").first()
    clinic = provider.clinics.first()
    registrations = list(Registration.objects.filter(community__name="Kamloops").order_by("pk")[:39])
    run = MatchRun.objects.create(status=MatchRun.Status.SUCCEEDED)
    plan = (
        [("sent", "")] * 3 + [("attached", "")] * 10 + [("expired", "")] * 2
        + [("clinic_declined", "Panel full")] * 12 + [("clinic_declined", "too far ")] * 10
        + [("clinic_declined", "Dr. Who's cousin")] + [("clinic_declined", "Knows Zebulon")]
    )
    days_to_attach = []
    for i, ((status, reason), registration) in enumerate(zip(plan, registrations)):
        sent = today_noon - datetime.timedelta(days=20 - (i % 15))
        proposal = Proposal.objects.create(match_run=run, registration=registration, provider=provider, places=1,
                                           status=Proposal.Status.OFFERED, created_at=sent)
        answered = sent + datetime.timedelta(days=1) if status != "sent" else None
        patient = sent + datetime.timedelta(days=3 + i % 10) if status == "attached" else None
        if patient:
            days_to_attach.append((patient.date() - sent.date()).days)
        Offer.objects.create(
            proposal=proposal, registration=registration, provider=provider, clinic=clinic, places=1, status=status,
            decline_reason=reason, sent_at=sent, expires_at=sent + datetime.timedelta(days=14),
            clinic_answered_at=answered if status in ("attached", "clinic_declined") else None,
            patient_answered_at=patient,
        )
    snapshot = services.build_snapshots([thompson.pk])[0]
    report = selectors.offers_report(scope(snapshot, weeks=4))
    outcomes = {row[0]: row[1] for row in report.tables[0].rows}
    assert report.tables[0].total == ["Offers sent", 39]
    hand = {"Awaiting the clinic": 3, "Attached": 10, "Declined by the clinic": 24, "Expired": 2,
            "Declined by the patient": 0, "Withdrawn": 0, "Accepted by the clinic (all)": 10}
    for label, count in hand.items():
        assert consistent(outcomes[label], count), (label, outcomes[label])
    # The two one-off reasons are never printed; they are counted together as "other".
    reasons_text = str(report.tables[1].rows) + str(snapshot.data["offers"])
    assert "Zebulon" not in reasons_text and "cousin" not in reasons_text
    reasons = {row[1]: row[2] for row in report.tables[1].rows}
    if reasons:
        assert consistent(reasons["Panel full"], 12) and consistent(reasons["Too far"], 10)
        assert reasons["Other reasons (each given fewer than 10 times)"] == "<10"
    days = {row[0]: row[1] for row in report.tables[2].rows}
    assert days["Median"] == round(statistics.median(days_to_attach))
