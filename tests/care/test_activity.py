"""The activity report against counts computed here, in Python, from the rows the test
makes; the manager's reading suppressed (small cells and their complements); scope."""

import datetime
import random
import statistics
from collections import Counter, defaultdict

import pytest
from django.urls import reverse
from django.utils import timezone

from attachment.core import roles
from care import activity
from care.models import Contact, Enrolment, Programme, Referral, ReferralType, Task
from reports import suppression as sup
from tests.care.conftest import on_panel
from tests.conftest import login
from tests.factories import ClinicFactory, ProviderFactory, UserFactory, community

pytestmark = pytest.mark.django_db
YEAR = 2025
D = datetime.date


def aware(d, hour=12):
    return timezone.make_aware(datetime.datetime(d.year, d.month, d.day, hour))


@pytest.fixture
def north_okanagan():
    from registries.models import PCN

    return PCN.objects.get(name="North Okanagan PCN")


@pytest.fixture
def shuswap_manager(shuswap_pcn):
    user = UserFactory(username="shuswap-manager")
    roles.grant_division(user, shuswap_pcn.division, manager=True)
    return user


@pytest.fixture
def world(care_coordinator, colleague, kamloops_pcn, shuswap_pcn, provider, shuswap_provider, north_okanagan):
    """A year of activity in three PCNs, two of them (Shuswap, small; North Okanagan) of one
    division, random but seeded."""
    rng = random.Random(12)
    vernon = ProviderFactory(clinic=ClinicFactory(community=community("Vernon"), name="Vernon Clinic"))
    vernon_coordinator = UserFactory(username="vernon-coordinator")
    roles.grant_pcn(vernon_coordinator, north_okanagan)
    frailty = Programme.objects.get(code="frailty")
    types = list(ReferralType.objects.all())
    people = {kamloops_pcn.pk: [on_panel(provider) for _ in range(30)],
              shuswap_pcn.pk: [on_panel(shuswap_provider) for _ in range(4)],
              north_okanagan.pk: [on_panel(vernon) for _ in range(25)]}
    staff = {kamloops_pcn.pk: [care_coordinator, colleague], shuswap_pcn.pk: [care_coordinator],
             north_okanagan.pk: [vernon_coordinator]}
    big = {kamloops_pcn.pk: 1, north_okanagan.pk: 0.5}
    contacts, enrolments, refs, tasks = [], [], [], []
    for pcn_id, patients in people.items():
        n_contacts = int(400 * big[pcn_id]) if pcn_id in big else 7
        for _ in range(n_contacts):
            day = D(YEAR, 1, 1) + datetime.timedelta(days=rng.randrange(-20, 385))  # some outside the year
            contacts.append(Contact(patient=rng.choice(patients), pcn_id=pcn_id, contacted_on=day,
                                    channel=rng.choice(Contact.Channel.values), contacted="patient",
                                    minutes=rng.randint(1, 90), outcome="reached",
                                    category=rng.choice(Contact.Category.values), by=rng.choice(staff[pcn_id])))
        for p in patients:
            start = D(YEAR, 1, 1) + datetime.timedelta(days=rng.randrange(-60, 360))
            ended = start + datetime.timedelta(days=rng.randrange(1, 200)) if rng.random() < 0.4 else None
            enrolments.append(Enrolment(patient=p, programme=frailty, pcn_id=pcn_id, reason="r", need_level=2,
                                        enrolled_at=aware(start), enrolled_by=rng.choice(staff[pcn_id]),
                                        discharged_at=aware(ended) if ended else None,
                                        discharge_reason="done" if ended else ""))
        for _ in range(int(60 * big[pcn_id]) if pcn_id in big else 3):
            sent = D(YEAR, 1, 1) + datetime.timedelta(days=rng.randrange(-10, 365))
            gaps = [rng.randint(0, 30) for _ in range(5)]
            reach = rng.randint(0, 5)
            dates = [sent]
            for g in gaps[:reach]:
                dates.append(dates[-1] + datetime.timedelta(days=g))
            step = ["requested", "accepted", "booked", "seen", "report_received", "closed"][reach]
            fields = dict(zip(["accepted_on", "booked_on", "seen_on", "report_on", "closed_on"], dates[1:]))
            if "booked_on" in fields:
                fields["appointment_on"] = fields["booked_on"]
            refs.append(Referral(patient=rng.choice(patients), pcn_id=pcn_id, type=rng.choice(types), service="S",
                                 reason="R", sent_on=sent, step=step, referred_by=rng.choice(staff[pcn_id]),
                                 step_due_on=None if step == "closed" else sent, created_at=aware(sent),
                                 updated_at=aware(sent), **fields))
        for _ in range(int(40 * big[pcn_id]) if pcn_id in big else 2):
            due = D(YEAR, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365))
            r = rng.random()
            done = None if r < 0.2 else aware(due + datetime.timedelta(days=-1 if r < 0.7 else 3), hour=23)
            tasks.append(Task(patient=rng.choice(patients), pcn_id=pcn_id, title="Follow-up", kind="follow_up",
                              due_on=due, done_at=done, assigned_to=rng.choice(staff[pcn_id])))
    Contact.objects.bulk_create(contacts)
    Enrolment.objects.bulk_create(enrolments)
    Referral.objects.bulk_create(refs)
    Task.objects.bulk_create(tasks)
    # Noise the report must not count: another kind of task, a contact without a PCN.
    Task.objects.create(patient=people[kamloops_pcn.pk][0], pcn=kamloops_pcn, title="Call", kind="call",
                        due_on=D(YEAR, 3, 3))
    return {"contacts": contacts, "enrolments": enrolments, "referrals": refs, "tasks": tasks}


def in_year(d, month=None):
    return d.year == YEAR and (month is None or d.month == month)


def expected(world, pcn_id, month=None):
    """The report's figures for one PCN, from the rows made (local dates)."""
    cs = [c for c in world["contacts"] if c.pcn_id == pcn_id and in_year(c.contacted_on, month)]
    local = timezone.localdate
    es = [e for e in world["enrolments"] if e.pcn_id == pcn_id]
    rs = [r for r in world["referrals"] if r.pcn_id == pcn_id and in_year(r.sent_on, month)]
    ts = [t for t in world["tasks"] if t.pcn_id == pcn_id and in_year(t.due_on, month)]
    out = {
        "people": len({c.patient_id for c in cs}), "contacts": len(cs), "minutes": sum(c.minutes for c in cs),
        "new": sum(1 for e in es if in_year(local(e.enrolled_at), month)),
        "discharged": sum(1 for e in es if e.discharged_at and in_year(local(e.discharged_at), month)),
        "referrals": len(rs), "closed": sum(1 for r in rs if r.step == "closed"),
        "fu_due": len(ts), "fu_in_time": sum(1 for t in ts if t.done_at and local(t.done_at) <= t.due_on),
        "categories": Counter(c.category for c in cs), "channels": Counter(c.channel for c in cs),
        "cat_minutes": defaultdict(int), "by_month": Counter(c.contacted_on.month for c in cs),
    }
    for c in cs:
        out["cat_minutes"][c.category] += c.minutes
    spans = []
    for _, later, earlier in activity.STEP_SPANS:
        days = [(getattr(r, later) - getattr(r, earlier)).days for r in rs if getattr(r, later)]
        spans.append(f"{statistics.median(days):.1f}" if days else "—")
    out["medians"] = spans
    return out


def table(report, key):
    return next(t for t in report.tables if t.key == key)


@pytest.mark.parametrize("month", [None, 3, 11])
def test_the_coordinators_report_matches_counts_made_from_the_rows(world, kamloops_pcn, month):
    f = activity.figures([kamloops_pcn.pk], activity.Period(YEAR, month))
    report = activity.coordinator_report(f, pcn_id=kamloops_pcn.pk, title="t")
    want = expected(world, kamloops_pcn.pk, month)
    total = table(report, "months").total
    assert total[1:9] == [want["people"], want["new"], want["discharged"], want["contacts"], want["minutes"],
                          want["referrals"], want["fu_due"], want["fu_in_time"]]
    assert want["contacts"] > 0 and want["fu_due"] > 0
    months = {row[0]: row for row in table(report, "months").rows}
    for m, n in want["by_month"].items():
        assert months[activity.MONTHS[m - 1]][4] == n
    cats = {row[0]: row[1:] for row in table(report, "categories").rows}
    for code, label in Contact.Category.choices:
        assert cats[label] == [want["categories"][code], want["cat_minutes"][code]]
    chans = {row[0]: row[1] for row in table(report, "channels").rows}
    assert all(chans[label] == want["channels"][code] for code, label in Contact.Channel.choices)
    refs = table(report, "referrals").total
    assert refs[1:3] == [want["referrals"], want["closed"]]
    assert refs[4:] == want["medians"]


def test_by_coordinator_adds_up_to_the_pcn(world, kamloops_pcn, care_coordinator, colleague):
    period = activity.Period(YEAR)
    rows = {r[0]: r for r in activity.coordinator_table([kamloops_pcn.pk], period).rows}
    mine = [c for c in world["contacts"] if c.pcn_id == kamloops_pcn.pk and in_year(c.contacted_on)
            and c.by == care_coordinator]
    name = care_coordinator.get_full_name() or care_coordinator.username
    assert rows[name][3:5] == [len(mine), sum(c.minutes for c in mine)]
    assert rows[name][1] == len({c.patient_id for c in mine})
    want = expected(world, kamloops_pcn.pk)
    assert sum(r[3] for r in rows.values()) == want["contacts"]
    assert sum(r[7] for r in rows.values()) == want["fu_due"]


def test_one_coordinators_figures(world, kamloops_pcn, colleague):
    f = activity.figures([kamloops_pcn.pk], activity.Period(YEAR), coordinator_id=colleague.pk)
    total = table(activity.coordinator_report(f, pcn_id=kamloops_pcn.pk, title="t"), "months").total
    theirs = [c for c in world["contacts"] if c.pcn_id == kamloops_pcn.pk and in_year(c.contacted_on)
              and c.by == colleague]
    assert total[4] == len(theirs)


def _lines_hold(cells, total):
    """A published line never has exactly one withheld figure (it would be the total minus the rest)."""
    withheld = [c for c in [*cells, total] if isinstance(c, str)]
    return len(withheld) != 1


def test_the_managers_reading_is_suppressed_with_complements(world, shuswap_pcn):
    pcns = list(shuswap_pcn.division.pcns.values_list("pk", flat=True))
    assert len(pcns) == 2
    f = activity.figures(pcns, activity.Period(YEAR))
    report = activity.manager_report(f, pcn_id=None, title="t")
    exact = activity.coordinator_report(f, pcn_id=None, title="t")
    shown_cells = [v for t in report.tables for row in t.rows + ([t.total] if t.total else []) for v in row[1:]]
    assert sup.PRIMARY in shown_cells and sup.SECONDARY in shown_cells
    # No count from 1 to 9 appears as a number.
    for t in report.tables:
        for row in t.rows + ([t.total] if t.total else []):
            for col, v in zip(t.columns[1:], row[1:]):
                if isinstance(v, int) and col != "Minutes":
                    assert not sup.is_small(v), (t.caption, row[0], col, v)
    # Shuswap's 7 contacts: small, withheld; so is North Okanagan's beside it in the line to the
    # division (else the division's total minus North Okanagan's would give Shuswap's away).
    pcn_table = table(report, "pcns")
    by_pcn = {row[0]: row for row in pcn_table.rows}
    assert by_pcn["Shuswap PCN"][4] == sup.PRIMARY
    assert _lines_hold([r[4] for r in pcn_table.rows], pcn_table.total[4])
    assert isinstance(by_pcn["North Okanagan PCN"][4], str) or isinstance(pcn_table.total[4], str)
    assert by_pcn["Shuswap PCN"][5] == sup.SECONDARY  # minutes of a withheld count
    # Every line of the month table and the category / channel tables holds.
    for key in ("months", "categories", "channels"):
        t = table(report, key)
        for i in range(2, len(t.columns)):
            if t.columns[i] in ("Contacts", "New enrolments", "Discharged", "Referrals made"):
                assert _lines_hold([row[i] for row in t.rows], t.total[i]), (key, t.columns[i])
    # Where a figure is published it is the exact one.
    for a, b in zip(table(report, "months").rows, table(exact, "months").rows):
        for x, y in zip(a[1:9], b[1:9]):
            assert x == y or isinstance(x, str)


def test_the_manager_sees_one_pcn_of_the_division_protected_as_the_whole(world, shuswap_pcn):
    pcns = list(shuswap_pcn.division.pcns.values_list("pk", flat=True))
    f = activity.figures(pcns, activity.Period(YEAR))
    report = activity.manager_report(f, pcn_id=shuswap_pcn.pk, title="t")
    assert table(report, "months").total[4] == sup.PRIMARY
    assert all(v in (0, sup.PRIMARY, sup.SECONDARY, "—", "x") for row in table(report, "referrals").rows
               for v in row[1:])


# --- pages and scope -------------------------------------------------------------------------------


def test_pages_scope_and_csv(client, world, care_coordinator, shuswap_coordinator, shuswap_manager, kamloops_pcn,
                             shuswap_pcn, other_division):
    login(client, care_coordinator)
    page = client.get(reverse("care:activity"), {"year": YEAR, "pcn": kamloops_pcn.pk})
    assert page.status_code == 200
    assert b"By coordinator" in page.content and b"chart-activity-months" in page.content
    csv = client.get(reverse("care:activity_csv"), {"year": YEAR, "pcn": kamloops_pcn.pk})
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    want = expected(world, kamloops_pcn.pk)
    assert f"{YEAR},{want['people']},{want['new']},{want['discharged']},{want['contacts']}" in csv.content.decode()
    # Another PCN's coordinator cannot ask for this one.
    login(client, shuswap_coordinator)
    assert client.get(reverse("care:activity"), {"year": YEAR, "pcn": kamloops_pcn.pk}).status_code == 404
    # The manager: their division, aggregates (no coordinator table), never another division.
    login(client, shuswap_manager)
    page = client.get(reverse("care:activity"), {"year": YEAR})
    assert page.status_code == 200 and b"By PCN" in page.content and b"By coordinator" not in page.content
    assert b"&lt;10" in page.content
    assert client.get(reverse("care:activity"), {"year": YEAR, "division": other_division.pk}).status_code == 404
    assert client.get(reverse("care:activity"), {"year": YEAR, "pcn": kamloops_pcn.pk}).status_code == 404
    # Nobody else.
    someone = UserFactory(username="nobody")
    roles.add_role(someone, roles.MOA)
    login(client, someone)
    assert client.get(reverse("care:activity")).status_code in (302, 403)


def test_the_rollups_follow_every_insert_update_and_delete(world, kamloops_pcn, shuswap_pcn):
    """The trigger's rollups equal the same rollups rebuilt from the contacts, after changes."""
    from django.db import connection

    from care.activity_rollup_sql import REBUILD
    from care.models import ContactMonth, PersonMonth

    some = list(Contact.objects.filter(pcn=kamloops_pcn).order_by("id")[:30])
    for c in some[:10]:
        c.minutes, c.category, c.contacted_on = 45, "referral", c.contacted_on - datetime.timedelta(days=40)
        c.save()
    for c in some[10:20]:
        c.pcn = shuswap_pcn
        c.save()
    Contact.objects.filter(pk__in=[c.pk for c in some[20:]]).delete()

    def state():
        return (sorted(ContactMonth.objects.values_list("pcn_id", "by_id", "month", "category", "channel",
                                                        "contacts", "minutes")),
                sorted(PersonMonth.objects.values_list("pcn_id", "month", "by_id", "patient_id")))

    kept = state()
    with connection.cursor() as cur:
        cur.execute(REBUILD)
    assert state() == kept and kept[0]
