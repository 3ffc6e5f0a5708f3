"""The open monthly figures: they agree with counts computed here, independently, from the
registrations' own histories; and their suppression holds against an attacker who adds and
subtracts everything published (a parent minus its children, one month's stock and flows
against the next's, the reasons against their total)."""

import datetime
import random
from collections import defaultdict
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from patients.models import Registration, RegistrationStatusChange
from registries.models import Community
from reports import figures
from reports import suppression as sup
from reports.models import OpenFiguresSnapshot

pytestmark = pytest.mark.django_db
TZ = ZoneInfo(settings.TIME_ZONE)
MONTH = datetime.date(2026, 10, 1)  # the month described; the window is 2025-11 .. 2026-10
OPEN = ("waiting", "offered")
REASONS = {"Found a provider on their own": "found_provider", "No longer needs a provider": "no_longer_needed",
           "Moved out of the province or region": "moved_away", "Deceased": "ineligible",
           "Asked to be removed": "other"}


def at(day: datetime.date, hour=12) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


@pytest.fixture
def world():
    return make_world(scale=1)


@pytest.fixture
def small_world():
    return make_world(scale=0.05)


def make_world(scale):
    """About 700 registrations over 20 months in four communities of two divisions: some
    busy community-months, many small ones; attached, withdrawn (by reason), ineligible, back."""
    rng = random.Random(15)
    kamloops = Community.objects.get(name="Kamloops")
    others = list(Community.objects.filter(division=kamloops.division).exclude(pk=kamloops.pk).order_by("name")[:2])
    far = Community.objects.exclude(division=kamloops.division).order_by("name").first()
    weights = [(kamloops, 400), (others[0], 120), (others[1], 60), (far, 120)]
    first = datetime.date(2025, 3, 1)
    plans = []
    for community, n in weights:
        for _ in range(max(1, int(n * scale))):
            registered = first + datetime.timedelta(days=rng.randrange(0, 600))
            size = rng.choice([1, 1, 1, 2, 3])
            events = []
            day = registered
            state = "waiting"
            for _ in range(rng.choice([0, 1, 1, 2])):
                day = day + datetime.timedelta(days=rng.randrange(5, 200))
                if state in OPEN:
                    to, reason = rng.choice([("attached", "Attached"), ("withdrawn", "Found a provider on their own"),
                                             ("withdrawn", "No longer needs a provider"),
                                             ("ineligible", "Moved out of the province or region"),
                                             ("ineligible", "Deceased"), ("withdrawn", "Asked to be removed"),
                                             ("attached", "Attached")])
                elif state == "attached":
                    break
                else:
                    to, reason = "waiting", "Back on the list"
                events.append((day, state, to, reason))
                state = to
            plans.append((community, registered, size, rng.choice([0, 2, 4]), events, state))
    regs = Registration.objects.bulk_create([
        Registration(community=c, division_id=c.division_id, registered_at=at(r), household_size=s, priority=p,
                     status=state, email="x@example.org")
        for c, r, s, p, events, state in plans
    ])
    # Each registration's history: registered, then its events; and the dates of each (auto_now_add
    # stamps "now" on insert, so they are set afterwards, in two statements).
    history, dates, last = [], [], []
    for reg, plan in zip(regs, plans):
        registered, events = plan[1], plan[4]
        history.append(RegistrationStatusChange(registration=reg, from_status="", to_status="waiting",
                                                reason="Registered online"))
        dates.append(at(registered))
        for day, frm, to, reason in events:
            history.append(RegistrationStatusChange(registration=reg, from_status=frm, to_status=to, reason=reason))
            dates.append(at(day))
        last.append((reg.pk, dates[-1]))
    made = RegistrationStatusChange.objects.bulk_create(history)
    days = [(row.pk, when) for row, when in zip(made, dates)]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {RegistrationStatusChange._meta.db_table} h SET at = v.at FROM (VALUES "
                       + ", ".join(["(%s, %s::timestamptz)"] * len(days)) + ") v(id, at) WHERE h.id = v.id",
                       [x for pair in days for x in pair])
        cursor.execute(f"UPDATE {Registration._meta.db_table} r SET status_changed_at = v.at FROM (VALUES "
                       + ", ".join(["(%s, %s::timestamptz)"] * len(last)) + ") v(id, at) WHERE r.id = v.id",
                       [x for pair in last for x in pair])
    return {"plans": plans, "communities": [c for c, _ in weights]}


def month_index(day: datetime.date) -> int:
    start = figures.add_months(MONTH, -(figures.MONTHS - 1))
    return (day.year * 12 + day.month) - (start.year * 12 + start.month)


def expected(world):
    """Per (community id, figure, month index), people, from the plans alone."""
    out = defaultdict(int)
    end = figures.add_months(MONTH, 1)
    for community, registered, size, _, events, _ in world["plans"]:
        c = community.pk
        timeline = [(registered, "new")] + [
            (day, "new" if to in OPEN else ("attached" if to == "attached" else f"removed_{REASONS[reason]}"))
            for day, _, to, reason in events]
        for day, kind in timeline:
            if day < end and month_index(day) >= 0:
                out[(c, kind, month_index(day))] += size
        for m in range(-1, figures.MONTHS):
            month_end = figures.add_months(figures.add_months(MONTH, -(figures.MONTHS - 1)), m + 1)
            state = None
            for day, kind in timeline:
                if day < month_end:
                    state = "open" if kind == "new" else "closed"
            if state == "open":
                out[(c, "waiting", m)] += size
    return out


def test_the_figures_agree_with_counts_computed_independently(world):
    """One build (it takes a while), three checks: the counts, the waits, the net change."""
    snapshot = figures.build(MONTH)
    data = snapshot.data
    check_counts(world, data)
    check_waits(world, data)
    check_net_change(data)


def check_counts(world, data):
    assert data["month"] == "2026-10" and data["months"][0] == "2025-11" and len(data["months"]) == 12
    want = expected(world)
    flows = ["new", "attached", *[f"removed_{k}" for k, _ in figures.REASONS]]
    compared = suppressed = 0

    def compare(shown, count, where):
        nonlocal compared, suppressed
        if isinstance(shown, int):
            assert shown == count, where
            compared += 1
        else:
            assert shown in (sup.PRIMARY, sup.SECONDARY), where
            if shown == sup.PRIMARY:
                assert 1 <= count <= 9, where
            suppressed += 1

    for community in world["communities"]:
        series = data["series"][f"c:{community.pk}"]
        for m in range(figures.MONTHS):
            compare(series["waiting"][m], want[(community.pk, "waiting", m)], (community.name, "waiting", m))
            # A community's flows are published over the 12 months only.
            assert all(series[figure][m] is None for figure in flows)
        for figure in flows:
            compare(series["year"][figure], sum(want[(community.pk, figure, m)] for m in range(figures.MONTHS)),
                    (community.name, figure, "year"))
    # A division: its stock and attachments monthly; joined and removed over the 12 months.
    division = data["series"][f"d:{world['communities'][0].division_id}"]
    assert all(isinstance(v, (int, str)) for v in division["waiting"] + division["attached"])
    for figure in ["new", "removed", *figures.REASON_FIGURES]:
        assert division[figure] == [None] * figures.MONTHS
        assert division["year"][figure] is not None
    # The province (the four communities' people) month by month, every figure.
    province = data["series"]["p"]
    for figure in ["waiting", *flows]:
        for m in range(figures.MONTHS):
            compare(province[figure][m], sum(want[(c.pk, figure, m)] for c in world["communities"]),
                    ("province", figure, m))
    assert compared > 60 and suppressed > 5  # the data exercises both


def check_waits(world, data):
    """Time on the list agrees, and small groups are not published."""
    end = figures.add_months(MONTH, 1)
    last_day = end - datetime.timedelta(days=1)
    waits = []
    for _community, registered, size, _, events, _state in world["plans"]:
        if _open_at(registered, events, end):
            waits += [(last_day - registered).days] * size
    median, p90 = _percentile(waits, 0.5), _percentile(waits, 0.9)
    assert data["waits"]["p"]["all"]["waiting"] == [round(median), round(p90)]
    for _area, groups in data["waits"].items():
        for kinds in groups.values():
            for median, p90 in kinds.values():
                assert (median is None) == (p90 is None)


def _open_at(registered, events, end):
    state = "waiting" if registered < end else None
    for day, _, to, _ in events:
        if day < end:
            state = to
    return state in OPEN


def _percentile(values, q):
    values = sorted(values)
    k = (len(values) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


# --- the attacker ----------------------------------------------------------------------------


def published_lines(data):
    """Every equation a reader can write from the published figures: (cells, total) of ids."""
    lines = []
    ids = {}
    for a, s in data["series"].items():
        for figure in [*figures.FIGURES, "net"]:
            for m, v in enumerate(s[figure]):
                ids[(a, figure, m)] = v
        ids[(a, "waiting", -1)] = s["waiting_start"]
        for figure, v in s["year"].items():
            ids[(a, figure, figures.YEAR)] = v
        for m in range(figures.MONTHS + 1):
            ids[(a, "on_list", m)] = "not published"  # what the month's (the year's) two sides add up to
    year = figures.YEAR
    for parent, kids in data["children"].items():
        for figure in figures.FIGURES:
            for m in range(figures.MONTHS + (0 if figure == "waiting" else 1)):
                lines.append(([(k, figure, m) for k in kids], (parent, figure, m)))
    for a in data["series"]:
        lines.append(([(a, f"removed_{k}", year) for k, _ in figures.REASONS], (a, "removed", year)))
        lines.append(([(a, "waiting", -1), (a, "new", year)], (a, "on_list", year)))
        lines.append(([(a, "waiting", figures.MONTHS - 1), (a, "attached", year), (a, "removed", year)],
                      (a, "on_list", year)))
        lines.append(([(a, "waiting", -1), (a, "net", year)], (a, "waiting", figures.MONTHS - 1)))
        for figure in figures.FLOW_FIGURES:
            lines.append(([(a, figure, m) for m in range(figures.MONTHS)], (a, figure, year)))
        for m in range(figures.MONTHS):
            lines.append(([(a, f"removed_{k}", m) for k, _ in figures.REASONS], (a, "removed", m)))
            # Last month's stock and this month's flows: the subtraction of months.
            lines.append(([(a, "waiting", m - 1), (a, "new", m)], (a, "on_list", m)))
            lines.append(([(a, "waiting", m), (a, "attached", m), (a, "removed", m)], (a, "on_list", m)))
            lines.append(([(a, "waiting", m - 1), (a, "net", m)], (a, "waiting", m)))
    return ids, lines


def attack(data):
    """Solve every line with one unknown, again and again; then narrow the rest by intervals.
    Returns the small cells worked out exactly, and those narrowed to fewer than 5 values."""
    ids, lines = published_lines(data)
    known = {k: v for k, v in ids.items() if isinstance(v, int)}
    worked_out = []
    changed = True
    while changed:
        changed = False
        for cells, total in lines:
            unknown = [f for f in [*cells, total] if f not in known]
            if len(unknown) != 1:
                continue
            f = unknown[0]
            if f == total:
                known[f] = sum(known[c] for c in cells)
            else:
                known[f] = known[total] - sum(known[c] for c in cells if c != f)
            if ids[f] == sup.PRIMARY:
                worked_out.append(f)
            changed = True
    big = 10 ** 9
    # Counts are never negative; a net change may be.
    bounds = {f: ((1, 9) if v == sup.PRIMARY else (-big if f[1] == "net" else 0, big))
              for f, v in ids.items() if f not in known}

    def b(f):
        return (known[f], known[f]) if f in known else bounds[f]

    for _ in range(30):
        narrowed = False
        for cells, total in lines:
            lo_sum, hi_sum = sum(b(c)[0] for c in cells), sum(b(c)[1] for c in cells)
            if total in bounds:
                new = (max(bounds[total][0], lo_sum), min(bounds[total][1], hi_sum))
                narrowed |= new != bounds[total]
                bounds[total] = new
            for c in cells:
                if c not in bounds:
                    continue
                rest_lo, rest_hi = lo_sum - b(c)[0], hi_sum - b(c)[1]
                new = (max(bounds[c][0], b(total)[0] - rest_hi), min(bounds[c][1], b(total)[1] - rest_lo))
                narrowed |= new != bounds[c]
                bounds[c] = new
        if not narrowed:
            break
    pinned = [f for f, (lo, hi) in bounds.items() if ids[f] == sup.PRIMARY and hi - lo + 1 < sup.MIN_POSSIBLE]
    return worked_out, pinned


def test_no_small_cell_can_be_worked_out_across_months_or_from_parents_minus_children(world):
    data = figures.build(MONTH).data
    ids, _ = published_lines(data)
    assert sum(1 for v in ids.values() if v == sup.PRIMARY) > 20
    assert sum(1 for v in ids.values() if v == sup.SECONDARY) > 0  # secondary suppression was needed
    worked_out, pinned = attack(data)
    assert worked_out == [] and pinned == []
    # The attacker can win: published without secondary suppression, the months give cells away.
    check_the_attacker_finds_an_unprotected_cell(data)


def check_the_attacker_finds_an_unprotected_cell(data):
    data = {**data, "series": {a: dict(s) for a, s in data["series"].items()}}
    values, area, children, _ = figures.raw_counts(MONTH)
    naive = {k: sup.cell(v) for k, v in values.items()}
    for a, s in data["series"].items():
        for figure in figures.FIGURES:
            s[figure] = [naive[(a, figure, m)] for m in range(figures.MONTHS)]
        s["waiting_start"] = naive[(a, "waiting", -1)]
        s["net"] = [sup.SECONDARY] * figures.MONTHS
        s["year"] = {**{f: naive[(a, f, figures.YEAR)] for f in figures.FLOW_FIGURES}, "net": sup.SECONDARY}
    worked_out, _ = attack(data)
    assert worked_out


def test_each_level_publishes_what_its_counts_bear():
    published = figures.is_published
    for level in ("province", "health_authority"):
        assert all(published(level, f, m) for f in figures.FIGURES for m in range(figures.MONTHS))
        # No 12-month total beside published months: the page adds them up, no equation of its own.
        assert not any(published(level, f, figures.YEAR) for f in figures.FLOW_FIGURES)
    assert published("division", "waiting", 3) and published("division", "attached", 3)
    assert not published("division", "new", 3) and published("division", "new", figures.YEAR)
    assert not published("division", "removed_moved_away", 3) and published("division", "removed", figures.YEAR)
    assert published("community", "waiting", 3) and not published("community", "attached", 3)
    assert published("community", "attached", figures.YEAR)
    assert not any(published(level, "on_list", m) for level in ("province", "community") for m in range(13))


def check_net_change(data):
    """Net change is shown only where both stocks are (it then tells nothing new)."""
    for s in data["series"].values():
        before = [s["waiting_start"], *s["waiting"][:-1]]
        for w, b, net in zip(s["waiting"], before, s["net"]):
            if isinstance(w, int) and isinstance(b, int):
                assert net == w - b
            else:
                assert net == sup.SECONDARY


# --- building and serving ----------------------------------------------------------------------


def test_the_build_is_idempotent_and_the_beat_job_is_scheduled():
    # An empty registry: quick to build, and its figures are all zeros, all published.
    from django_celery_beat.models import PeriodicTask

    from attachment.core.models import JobRun
    from reports.tasks import build_open_figures

    first = figures.build(MONTH)
    result = build_open_figures.apply(args=[MONTH.isoformat()]).get()
    assert result["snapshot"] == first.pk and OpenFiguresSnapshot.objects.count() == 1
    assert JobRun.objects.filter(name="reports.open_figures", outcome="succeeded").exists()
    task = PeriodicTask.objects.get(task="reports.tasks.build_open_figures")
    assert task.enabled and task.crontab.day_of_month == "1"
    assert first.data["series"]["p"]["waiting"] == [0] * figures.MONTHS


def test_the_page_and_csv_serve_the_stored_figures_without_login(client, small_world):
    snapshot = figures.build(MONTH)
    page = client.get(reverse("figures:index"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "2026-10" in html and snapshot.built_at.strftime("%Y-%m-%d") in html
    kamloops = small_world["communities"][0]
    community = client.get(reverse("figures:index"), {"area": f"c:{kamloops.pk}"}).content.decode()
    assert "Kamloops" in community
    assert client.get(reverse("figures:index"), {"area": "c:999999"}).status_code == 404
    csv_text = client.get(reverse("figures:csv")).content.decode()
    rows = [line for line in csv_text.splitlines() if line.startswith("community,Kamloops,")]
    series = snapshot.data["series"][f"c:{kamloops.pk}"]
    waiting = [r for r in rows if ",2026-10,waiting," in r]
    assert waiting and waiting[0].rsplit(",", 1)[1] == str(series["waiting"][-1])
    monthly_new = [r for r in rows if ",2026-10,new," in r]
    assert monthly_new and monthly_new[0].endswith(",new,")  # a community's monthly flows: not published
    year_new = [r for r in rows if ",12 months to 2026-10,new," in r]
    assert year_new and year_new[0].rsplit(",", 1)[1] == str(series["year"]["new"])
    # Served as stored: a change in the registries shows only after the next build.
    OpenFiguresSnapshot.objects.filter(pk=snapshot.pk).update(data={**snapshot.data, "month": "1999-01"})
    assert "1999-01" in client.get(reverse("figures:index")).content.decode()
