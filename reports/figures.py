"""The open monthly figures: the waitlist of the province, each health authority, division
and community, month by month, for anyone (/figures/, no login).

Built once a month (reports.tasks.build_open_figures, a beat job) for the month just
ended, from set-based SQL over the registries, and stored as published
(OpenFiguresSnapshot): the page and its CSV serve the stored figures.

Per area and month (the 12 months to the month described, and the month before them):
- waiting: people on the waitlist (waiting or offered) at the end of the month;
- new ("joined the list"): people newly registered, or back on the list after leaving it;
- on_list, not published: people on the list at some time in the month (waiting at the
  start + new), the figure the month's two sides add up to;
- attached: people attached to a provider; removed: people who left otherwise, by reason;
- net change: waiting at the end minus waiting at the start;
- over the 12 months: each flow's total.
And for the month described, by priority group: time on the list (median and 90th
percentile, days) of the people waiting at its end, and of the people attached in the 12
months to its end.

What each level publishes (`is_published`, ARCHITECTURE.md "Open figures"): the province
and each health authority every figure monthly; a division its stock and attachments
monthly, joined and removed (by reason) over the 12 months; a community its stock monthly,
its flows over the 12 months. A 12-month total beside published months is their sum where
all are published (no figure of its own).

People, not households: a household of three counts three (its current size).

Suppression (reports/suppression.py, the managers' rule) holds across every way the
figures add up, all protected at once, with complements chosen by cost (`costs`):
- the tree: the province is the sum of its health authorities, each of its divisions,
  each division of its communities, in every figure and month (a parent minus its
  children gives nothing away);
- removed: the reasons add up to the total;
- the months: waiting at the start + new = on_list = waiting at the end + attached +
  removed. Two months' figures subtracted (the stock of one, the flows and the stock of
  the next) meet these lines, so they undo no suppression;
- net change is published only where both stocks it is the difference of are published
  (it is then no news), else withheld;
- percentiles of a group under 10 people are not published.
"""

from __future__ import annotations

import datetime
import time
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from patients.models import Registration, RegistrationStatusChange
from registries.models import Community, Division, HealthAuthority
from reports import suppression as sup
from reports.models import OpenFiguresSnapshot
from reports.queries import rows as _rows
from reports.services import PRIORITY_GROUPS

MONTHS = 12  # the months shown; one more before them gives the first month's start
REASONS = [
    ("found_provider", "Found a provider elsewhere"),
    ("no_longer_needed", "No longer needs a provider"),
    ("moved_away", "Moved away"),
    ("ineligible", "Not eligible"),
    ("other", "Other reasons"),
]
REASON_FIGURES = [f"removed_{key}" for key, _ in REASONS]
# "new" counts people joining the list: newly registered, or back on it after leaving (a
# withdrawal undone). Published apart, "back on the list" (a handful a month) added one more
# flow to every month's equation and a small cell to protect, and told a reader nothing.
FLOWS = ["new", "attached", *REASON_FIGURES]
# Published; "on_list" (waiting at the start + new) only ties the month's lines together.
FIGURES = ["waiting", "new", "attached", "removed", *REASON_FIGURES]
FLOW_FIGURES = FIGURES[1:]
YEAR = MONTHS  # the index of a flow's total over the 12 months
GROUPS = [("all", "Everyone"), *[(key, label) for key, label, _ in PRIORITY_GROUPS]]

T_REG = Registration._meta.db_table
T_CHANGE = RegistrationStatusChange._meta.db_table
T_COMMUNITY = Community._meta.db_table
T_DIVISION = Division._meta.db_table
OPEN_SQL = "('waiting','offered')"
_REASON_SQL = """CASE
    WHEN h.to_status = 'attached' THEN 'attached'
    WHEN h.reason ILIKE 'Found a provider%%' OR h.reason ILIKE 'Already attached%%' THEN 'removed_found_provider'
    WHEN h.reason ILIKE 'No longer needs%%' THEN 'removed_no_longer_needed'
    WHEN h.reason ILIKE 'Moved%%' OR h.reason ILIKE '%%moving away%%' THEN 'removed_moved_away'
    WHEN h.to_status = 'ineligible' THEN 'removed_ineligible'
    ELSE 'removed_other' END"""
_GROUP_SQL = "CASE " + " ".join(f"WHEN {cond} THEN '{key}'" for key, _, cond in PRIORITY_GROUPS) + " END"


def first_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(month: datetime.date, n: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + n
    return datetime.date(index // 12, index % 12 + 1, 1)


def last_complete_month(today=None) -> datetime.date:
    return add_months(first_of(today or timezone.localdate()), -1)


def _params(month):
    start = add_months(month, -(MONTHS - 1))  # the first month shown
    return {"tz": settings.TIME_ZONE, "start": start, "end": add_months(month, 1),
            "start_index": start.year * 12 + start.month - 1}


def _flows(p):
    """Per (community, month index, kind): people. Month -1 holds everything before the window."""
    month = ("GREATEST((extract(year FROM ts AT TIME ZONE %(tz)s)::int * 12"
             " + extract(month FROM ts AT TIME ZONE %(tz)s)::int - 1) - %(start_index)s, -1)")
    sql = f"""
    WITH ev AS (
        SELECT r.community_id, r.registered_at AS ts, r.household_size AS n, 'new' AS kind
          FROM {T_REG} r
        UNION ALL
        SELECT r.community_id, h.at, r.household_size,
               CASE WHEN h.to_status IN {OPEN_SQL} THEN 'new' ELSE {_REASON_SQL} END
          FROM {T_CHANGE} h JOIN {T_REG} r ON r.id = h.registration_id
         WHERE h.from_status <> '' AND (h.from_status IN {OPEN_SQL}) <> (h.to_status IN {OPEN_SQL})
        UNION ALL
        -- Left the list with no recorded history (bulk-loaded): at its last status change.
        SELECT r.community_id, r.status_changed_at, r.household_size,
               CASE WHEN r.status = 'attached' THEN 'attached'
                    WHEN r.status = 'ineligible' THEN 'removed_ineligible' ELSE 'removed_other' END
          FROM {T_REG} r
         WHERE r.status NOT IN {OPEN_SQL}
           AND NOT EXISTS (SELECT 1 FROM {T_CHANGE} h WHERE h.registration_id = r.id AND h.from_status <> '')
    )
    SELECT community_id, {month} AS m, kind, sum(n) FROM ev
     WHERE ts < (%(end)s::date)::timestamp AT TIME ZONE %(tz)s
     GROUP BY 1, 2, 3
    """
    return _rows(sql, p)


def _waits(p):
    """Median and 90th percentile of time on the list (days), per area and priority group, of
    the people waiting at the end of the month ('waiting') and of those attached in the 12
    months to its end ('attached')."""
    end = "((%(end)s::date)::timestamp AT TIME ZONE %(tz)s)"
    column = {"ha": "d.health_authority_id", "division": "c.division_id", "community": "x.community_id"}
    sets = ", ".join(
        "(" + ", ".join(["x.kind", *(column[c] for c in cols), *(["x.grp"] if by_group else [])]) + ")"
        for cols in [(), ("ha",), ("division",), ("community",)] for by_group in (False, True)
    )
    group = _GROUP_SQL.replace("effective_priority", "s.effective_priority")
    sql = f"""
    WITH state AS (
        SELECT r.id, r.community_id, r.household_size, r.registered_at, r.effective_priority, r.status,
               r.status_changed_at,
               COALESCE((SELECT h.to_status FROM {T_CHANGE} h
                          WHERE h.registration_id = r.id AND h.at < {end}
                          ORDER BY h.at DESC, h.id DESC LIMIT 1),
                        CASE WHEN r.status_changed_at < {end} THEN r.status ELSE 'waiting' END) AS st
          FROM {T_REG} r
         WHERE r.registered_at < {end}
    ),
    people AS (
        SELECT 'waiting' AS kind, s.community_id, {group} AS grp,
               ((%(end)s::date - 1) - (s.registered_at AT TIME ZONE %(tz)s)::date) AS wait
          FROM state s CROSS JOIN LATERAL generate_series(1, s.household_size) person
         WHERE s.st IN {OPEN_SQL}
        UNION ALL
        SELECT 'attached', s.community_id, {group},
               ((s.status_changed_at AT TIME ZONE %(tz)s)::date - (s.registered_at AT TIME ZONE %(tz)s)::date)
          FROM state s CROSS JOIN LATERAL generate_series(1, s.household_size) person
         WHERE s.status = 'attached' AND s.status_changed_at < {end}
           AND s.status_changed_at >= ((%(end)s::date - interval '12 months')::timestamp AT TIME ZONE %(tz)s)
    )
    SELECT x.kind, GROUPING(d.health_authority_id) AS no_ha, GROUPING(c.division_id) AS no_div,
           GROUPING(x.community_id) AS no_com, GROUPING(x.grp) AS no_grp,
           d.health_authority_id, c.division_id, x.community_id, x.grp, count(*),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY x.wait), percentile_cont(0.9) WITHIN GROUP (ORDER BY x.wait)
      FROM people x
      JOIN {T_COMMUNITY} c ON c.id = x.community_id
      JOIN {T_DIVISION} d ON d.id = c.division_id
     GROUP BY GROUPING SETS ({sets})
    """
    return _rows(sql, p)


# --- the areas ------------------------------------------------------------------------


def areas():
    """{area id: {name, level, parent}} and {parent: [children]}: province, authorities, divisions, communities."""
    out = {"p": {"name": "British Columbia", "level": "province", "parent": None}}
    children = defaultdict(list)
    for ha in HealthAuthority.objects.order_by("name").values("id", "name"):
        out[f"h:{ha['id']}"] = {"name": ha["name"], "level": "health_authority", "parent": "p"}
        children["p"].append(f"h:{ha['id']}")
    for d in Division.objects.order_by("name").values("id", "name", "health_authority_id"):
        out[f"d:{d['id']}"] = {"name": d["name"], "level": "division", "parent": f"h:{d['health_authority_id']}"}
        children[f"h:{d['health_authority_id']}"].append(f"d:{d['id']}")
    for c in Community.objects.order_by("name").values("id", "name", "division_id"):
        out[f"c:{c['id']}"] = {"name": c["name"], "level": "community", "parent": f"d:{c['division_id']}"}
        children[f"d:{c['division_id']}"].append(f"c:{c['id']}")
    return out, dict(children)


def raw_counts(month: datetime.date):
    """Unsuppressed {(area, figure, month index): people} for month indexes -1 .. MONTHS-1 and
    YEAR (a flow over the 12 months)."""
    p = _params(month)
    area, children = areas()
    leaf = defaultdict(lambda: defaultdict(int))  # (community id, month index) -> kind -> people
    for community_id, m, kind, n in _flows(p):
        leaf[(f"c:{community_id}", m)][kind] += int(n)
    values = {}
    for cid in (a for a, info in area.items() if info["level"] == "community"):
        waiting = 0
        for m in range(-1, MONTHS):
            kinds = leaf.get((cid, m), {})
            leaves = kinds.get("attached", 0) + sum(kinds.get(k, 0) for k in REASON_FIGURES)
            start = waiting
            waiting = start + kinds.get("new", 0) - leaves
            if m < 0:
                values[(cid, "waiting", -1)] = waiting
                continue
            values[(cid, "waiting", m)] = waiting
            values[(cid, "on_list", m)] = start + kinds.get("new", 0)
            for kind in FLOWS:
                values[(cid, kind, m)] = kinds.get(kind, 0)
            values[(cid, "removed", m)] = leaves - kinds.get("attached", 0)
    # Up the tree: divisions, authorities, the province.
    for level in ("division", "health_authority", "province"):
        for a, info in area.items():
            if info["level"] != level:
                continue
            for figure in [*FIGURES, "on_list"]:
                for m in range(MONTHS):
                    values[(a, figure, m)] = sum(values[(c, figure, m)] for c in children.get(a, []))
            values[(a, "waiting", -1)] = sum(values[(c, "waiting", -1)] for c in children.get(a, []))
    for a in area:
        for figure in FLOW_FIGURES:
            values[(a, figure, YEAR)] = sum(values[(a, figure, m)] for m in range(MONTHS))
        # The year's two sides: waiting at its start + joined = waiting at its end + left.
        values[(a, "on_list", YEAR)] = values[(a, "waiting", -1)] + values[(a, "new", YEAR)]
    return values, area, children, p


# --- what each level publishes (the policy; ARCHITECTURE.md "Open figures") -------------
#
# A figure is published where the counts bear it, and left out where it would only add an
# equation with small cells to protect (a reader could add the months up anyway):
#   province, health authority: every figure monthly (removals by reason too);
#   division: stock and flows monthly, removals as one total monthly and by reason over
#     the 12 months;
#   community: stock monthly, every flow over the 12 months.
# A 12-month total beside published months is not published (the page adds the months up
# where all of them are published: it is then no news), so it makes no equation of its own.

DIVISION_YEARLY = {"new", "removed", *REASON_FIGURES}


def is_published(level: str, figure: str, m: int) -> bool:
    if figure == "on_list":
        return False
    if figure == "waiting":
        return True
    if level == "community":
        return m == YEAR
    if level == "division" and figure in DIVISION_YEARLY:
        return m == YEAR
    return m != YEAR


def hidden_figures(values, area):
    """Figures never published: they only join lines (they are unknowns to a reader)."""
    return {k for k in values if not is_published(area[k[0]]["level"], k[1], k[2])}


# The order complements are chosen in (lower first): a community's figure before a
# division's, a division's before an authority's, the province's last; within an area a
# reason before the removals' total, flows before stocks (a stock sits in two months'
# equations, and withholding it pulls both after it).
LEVEL_COST = {"community": 0, "division": 10, "health_authority": 100, "province": 1000}
FIGURE_COST = {"removed": 1, "new": 2, "attached": 3, "waiting": 5}


def costs(values, area):
    return {k: LEVEL_COST[area[k[0]]["level"]] + FIGURE_COST.get(k[1], 0) for k in values}


def lines_of(area, children, values):
    """Every line the figures add up along (see the module's doc), as (cells, total) of ids.

    An area with nobody in any month (all zeros) has nothing to protect: only its place in
    its parent's lines is kept."""
    lines = []
    for parent, kids in children.items():
        for figure in FIGURES:
            for m in range(MONTHS + (0 if figure == "waiting" else 1)):
                lines.append(([(k, figure, m) for k in kids], (parent, figure, m)))
        lines.append(([(k, "waiting", -1) for k in kids], (parent, "waiting", -1)))
    for a in area:
        if not any(values[(a, "on_list", m)] for m in range(MONTHS)):
            continue
        for m in range(MONTHS + 1):
            lines.append(([(a, k, m) for k in REASON_FIGURES], (a, "removed", m)))
        for m in range(MONTHS):
            lines.append(([(a, "waiting", m - 1), (a, "new", m)], (a, "on_list", m)))
            lines.append(([(a, "waiting", m), (a, "attached", m), (a, "removed", m)], (a, "on_list", m)))
        lines.append(([(a, "waiting", -1), (a, "new", YEAR)], (a, "on_list", YEAR)))
        lines.append(([(a, "waiting", MONTHS - 1), (a, "attached", YEAR), (a, "removed", YEAR)], (a, "on_list", YEAR)))
        for figure in FLOW_FIGURES:
            lines.append(([(a, figure, m) for m in range(MONTHS)], (a, figure, YEAR)))
    return lines


def compute(month: datetime.date) -> dict:
    """The published figures of `month` (a first of the month): suppressed, ready to store."""
    values, area, children, p = raw_counts(month)
    hidden = hidden_figures(values, area)
    shown = sup.protect_figures(values, lines_of(area, children, values), hidden=hidden, cost=costs(values, area))
    months = [add_months(p["start"], m).isoformat()[:7] for m in range(MONTHS)]
    series = {}
    for a in area:
        # None: not published at this level (a community's monthly flows, a division's
        # monthly reasons).
        s = {figure: [None if (a, figure, m) in hidden else shown[(a, figure, m)] for m in range(MONTHS)]
             for figure in FIGURES}
        s["waiting_start"] = shown[(a, "waiting", -1)]
        before = [shown[(a, "waiting", m - 1)] for m in range(MONTHS)]
        s["net"] = [_difference(w, b) for w, b in zip(s["waiting"], before)]
        s["year"] = {figure: shown[(a, figure, YEAR)] if (a, figure, YEAR) not in hidden else _sum(s[figure])
                     for figure in FLOW_FIGURES}
        s["year"]["net"] = _difference(s["waiting"][-1], s["waiting_start"])
        series[a] = s
    waits = defaultdict(lambda: defaultdict(dict))
    for kind, no_ha, no_div, no_com, no_grp, ha, div, com, grp, n, median, p90 in _waits(p):
        if not no_com:
            a = f"c:{com}"
        elif not no_div:
            a = f"d:{div}"
        elif not no_ha:
            a = f"h:{ha}"
        else:
            a = "p"
        g = "all" if no_grp else grp
        waits[a][g][kind] = [sup.percentile_display(n, round(median) if median is not None else None),
                             sup.percentile_display(n, round(p90) if p90 is not None else None)]
    return {
        "version": 2, "month": month.isoformat()[:7], "months": months,
        "areas": area, "children": children, "series": series,
        "waits": {a: dict(g) for a, g in waits.items()},
    }


def _difference(end, start):
    """A net change, published only where both stocks are (it then tells nothing new)."""
    return end - start if isinstance(end, int) and isinstance(start, int) else sup.SECONDARY


def _sum(months):
    """A 12-month total of published months: their sum where every one is a number (it then
    tells nothing new), else withheld; it is not a figure of its own."""
    return sum(months) if all(isinstance(v, int) for v in months) else sup.SECONDARY


def build(month: datetime.date | None = None) -> OpenFiguresSnapshot:
    """Build (or rebuild: idempotent) the figures of `month`, by default the month just ended."""
    month = first_of(month) if month else last_complete_month()
    started = time.monotonic()
    data = compute(month)
    seconds = round(time.monotonic() - started, 3)
    with transaction.atomic():
        snapshot, _ = OpenFiguresSnapshot.objects.update_or_create(
            month=month, defaults={"data": data, "seconds": seconds})
    return snapshot


def latest() -> OpenFiguresSnapshot | None:
    return OpenFiguresSnapshot.objects.order_by("-month").first()
