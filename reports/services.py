"""Building report snapshots: set-based SQL over the registries, one query per aggregate.

One build covers any set of divisions: each query runs once for all of them (GROUP BY
division, community, day), so the whole province costs the same handful of scans as a
single division. The snapshot keeps unsuppressed counts; suppression happens when a
report is shown (reports/selectors.py).
"""

import datetime
import logging
import time
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from patients.models import Registration, RegistrationStatusChange
from providers.models import CapacityDeclaration, Clinic, Provider, ProviderClinic
from registries.models import PCN, Community, Division, PanelEntry
from reports import offers as offer_figures
from reports.models import ReportSnapshot
from reports.queries import grouping_sets, levels_select, wait_row, windows_values
from reports.queries import rows as _rows

log = logging.getLogger("attach.reports")

DAYS = 364  # 52 weeks of daily history: any period the dashboard offers is a slice of it
PERIOD = "52w"
PANEL_BUCKETS = [(0, 0), (1, 499), (500, 999), (1000, 1499), (1500, 1999), (2000, None)]
OPEN = ("waiting", "offered")

# Priority groups: (key, label, SQL condition on effective_priority). The weights in
# patients/priority.py make 4+ the urgent factors (pregnancy, infant, palliative) or
# several together.
PRIORITY_GROUPS = [
    ("urgent", "Priority 4 or more", "effective_priority >= 4"),
    ("elevated", "Priority 1 to 3", "effective_priority BETWEEN 1 AND 3"),
    ("none", "No priority factors", "effective_priority <= 0"),
]
_GROUP_SQL = "CASE " + " ".join(f"WHEN {cond} THEN '{key}'" for key, _, cond in PRIORITY_GROUPS) + " END"

T_REG = Registration._meta.db_table
T_CHANGE = RegistrationStatusChange._meta.db_table
T_COMMUNITY = Community._meta.db_table
T_PANEL = PanelEntry._meta.db_table
T_PROVIDER = Provider._meta.db_table
T_PROVIDER_CLINIC = ProviderClinic._meta.db_table
T_CLINIC = Clinic._meta.db_table
T_PROVIDER_COMMUNITIES = Provider.communities.through._meta.db_table
T_DECLARATION = CapacityDeclaration._meta.db_table


def local_today() -> datetime.date:
    return timezone.localdate()


def _params(division_ids, as_of):
    start = as_of - datetime.timedelta(days=DAYS - 1)
    return {"ids": list(division_ids), "tz": settings.TIME_ZONE, "start": start, "as_of": as_of}


def _flows(p):
    """Per (community, day): new registrations, households joining and leaving the waitlist.

    Day -1 collects everything before the window, so its net is the waitlist at the start.
    A registration counts as joining when registered; later moves come from its status
    history. Registrations that left the list with no recorded history (bulk-loaded)
    count as leaving at their last status change.
    """
    day = "GREATEST(((ts AT TIME ZONE %(tz)s)::date - %(start)s::date), -1)"
    sql = f"""
    WITH ev AS (
        SELECT r.community_id, r.registered_at AS ts, 1 AS joins, 0 AS leaves, 1 AS reg
          FROM {T_REG} r
         WHERE r.division_id = ANY(%(ids)s)
        UNION ALL
        SELECT r.community_id, h.at,
               (h.to_status IN ('waiting','offered') AND h.from_status NOT IN ('waiting','offered'))::int,
               (h.from_status IN ('waiting','offered') AND h.to_status NOT IN ('waiting','offered'))::int, 0
          FROM {T_CHANGE} h JOIN {T_REG} r ON r.id = h.registration_id
         WHERE r.division_id = ANY(%(ids)s) AND h.from_status <> ''
           AND (h.from_status IN ('waiting','offered')) <> (h.to_status IN ('waiting','offered'))
        UNION ALL
        SELECT r.community_id, r.status_changed_at, 0, 1, 0
          FROM {T_REG} r
         WHERE r.division_id = ANY(%(ids)s) AND r.status NOT IN ('waiting','offered')
           AND NOT EXISTS (SELECT 1 FROM {T_CHANGE} h WHERE h.registration_id = r.id AND h.from_status <> '')
    )
    SELECT community_id, {day} AS d, sum(joins), sum(leaves), sum(reg)
      FROM ev
     WHERE (ts AT TIME ZONE %(tz)s)::date <= %(as_of)s
     GROUP BY 1, 2
    """
    return _rows(sql, p)


def _attachments(p):
    """Per (community, day): households attached and people attached (attached is final)."""
    sql = f"""
    SELECT community_id, ((status_changed_at AT TIME ZONE %(tz)s)::date - %(start)s::date) AS d,
           count(*), sum(household_size)
      FROM {T_REG}
     WHERE division_id = ANY(%(ids)s) AND status = 'attached'
       AND (status_changed_at AT TIME ZONE %(tz)s)::date BETWEEN %(start)s AND %(as_of)s
     GROUP BY 1, 2
    """
    return _rows(sql, p)


def _waits_waiting(p):
    """Median and 90th-percentile wait (days) of people still waiting, per level and group."""
    sql = f"""
    SELECT 0, {levels_select()}, count(*),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY x.wait),
           percentile_cont(0.9) WITHIN GROUP (ORDER BY x.wait)
      FROM (SELECT r.division_id, r.community_id, {_GROUP_SQL} AS grp,
                   (%(as_of)s::date - (r.registered_at AT TIME ZONE %(tz)s)::date) AS wait
              FROM {T_REG} r CROSS JOIN LATERAL generate_series(1, r.household_size) person
             WHERE r.division_id = ANY(%(ids)s) AND r.status IN ('waiting','offered')) x
      JOIN {T_COMMUNITY} c ON c.id = x.community_id
     GROUP BY GROUPING SETS ({grouping_sets()})
    """
    return _rows(sql, p)


def _waits_attached(p):
    """The same for people attached within each period the dashboard offers."""
    sql = f"""
    SELECT x.weeks, {levels_select()}, count(*),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY x.wait),
           percentile_cont(0.9) WITHIN GROUP (ORDER BY x.wait)
      FROM (SELECT r.division_id, r.community_id, {_GROUP_SQL} AS grp, w.weeks,
                   ((r.status_changed_at AT TIME ZONE %(tz)s)::date
                     - (r.registered_at AT TIME ZONE %(tz)s)::date) AS wait
              FROM {T_REG} r
              JOIN (VALUES {windows_values()}) w(weeks)
                ON (r.status_changed_at AT TIME ZONE %(tz)s)::date > %(as_of)s::date - 7 * w.weeks
              CROSS JOIN LATERAL generate_series(1, r.household_size) person
             WHERE r.division_id = ANY(%(ids)s) AND r.status = 'attached'
               AND (r.status_changed_at AT TIME ZONE %(tz)s)::date <= %(as_of)s) x
      JOIN {T_COMMUNITY} c ON c.id = x.community_id
     GROUP BY GROUPING SETS ({grouping_sets("x.weeks")})
    """
    return _rows(sql, p)


def _waiting_now(p):
    """Per community: households and people on the waitlist now (waiting or offered)."""
    sql = f"""
    SELECT community_id, count(*), sum(household_size)
      FROM {T_REG}
     WHERE division_id = ANY(%(ids)s) AND status IN ('waiting','offered')
     GROUP BY 1
    """
    return _rows(sql, p)


def _providers(p):
    """Per provider of these divisions: home community, accepting, places and panel size.

    A provider counts once, in the community of their first clinic (else of the first
    community they serve), so the community figures add up to the division's.
    """
    sql = f"""
    WITH home AS (
        SELECT DISTINCT ON (provider_id) provider_id, community_id FROM (
            SELECT pc.provider_id, cl.community_id, 0 AS pref, pc.id AS ord
              FROM {T_PROVIDER_CLINIC} pc JOIN {T_CLINIC} cl ON cl.id = pc.clinic_id
            UNION ALL
            SELECT provider_id, community_id, 1, community_id FROM {T_PROVIDER_COMMUNITIES}
        ) h ORDER BY provider_id, pref, ord
    ),
    mine AS (
        SELECT h.provider_id, h.community_id FROM home h
          JOIN {T_COMMUNITY} c ON c.id = h.community_id WHERE c.division_id = ANY(%(ids)s)
    ),
    latest AS (
        SELECT DISTINCT ON (d.provider_id) d.provider_id, d.accepting, d.new_patients, d.monthly_intake
          FROM {T_DECLARATION} d JOIN mine m ON m.provider_id = d.provider_id
         ORDER BY d.provider_id, d.declared_at DESC, d.id DESC
    ),
    panel AS (
        SELECT e.provider_id, count(*) AS n FROM {T_PANEL} e
         WHERE e.ended_at IS NULL AND e.provider_id IN (SELECT provider_id FROM mine)
         GROUP BY e.provider_id
    )
    SELECT m.community_id, p.accepting, COALESCE(l.new_patients, 0), COALESCE(l.monthly_intake, 0),
           p.open_capacity, COALESCE(pn.n, 0)
      FROM mine m JOIN {T_PROVIDER} p ON p.id = m.provider_id
      LEFT JOIN latest l ON l.provider_id = m.provider_id
      LEFT JOIN panel pn ON pn.provider_id = m.provider_id
    """
    return _rows(sql, p)


def panel_bucket(n: int) -> int:
    for i, (lo, hi) in enumerate(PANEL_BUCKETS):
        if n >= lo and (hi is None or n <= hi):
            return i
    return len(PANEL_BUCKETS) - 1


def _empty_community():
    return {
        "reg": [0] * DAYS, "att": [0] * DAYS, "att_people": [0] * DAYS,
        "joins": [0] * DAYS, "leaves": [0] * DAYS, "base": 0,
        "waiting": 0, "waiting_people": 0,
        "providers": 0, "accepting": 0, "declared": 0, "open_places": 0, "monthly_intake": 0,
        "panel_buckets": [0] * len(PANEL_BUCKETS), "panel_total": 0,
    }


def compute(division_ids, as_of=None, progress=None) -> dict:
    """{division id: snapshot data} for these divisions, from a handful of set-based queries."""
    as_of = as_of or local_today()
    p = _params(division_ids, as_of)
    progress = progress or (lambda step, done, total: None)
    steps = 7

    communities = list(
        Community.objects.filter(division_id__in=division_ids).values("id", "name", "pcn_id", "division_id")
    )
    pcns = {row["id"]: row["name"] for row in PCN.objects.filter(communities__division_id__in=division_ids).values("id", "name")}
    by_div = defaultdict(dict)
    for c in communities:
        by_div[c["division_id"]][c["id"]] = _empty_community()

    index = {c["id"]: by_div[c["division_id"]][c["id"]] for c in communities}

    progress("Registrations and waitlist movements", 0, steps)
    for community_id, d, joins, leaves, reg in _flows(p):
        s = index.get(community_id)
        if s is None:
            continue
        if d < 0:
            s["base"] += joins - leaves
        else:
            s["joins"][d] += joins
            s["leaves"][d] += leaves
            s["reg"][d] += reg
    progress("Attachments", 1, steps)
    for community_id, d, households, people in _attachments(p):
        s = index.get(community_id)
        if s is not None:
            s["att"][d] += households
            s["att_people"][d] += people
    progress("People waiting now", 2, steps)
    for community_id, households, people in _waiting_now(p):
        s = index.get(community_id)
        if s is not None:
            s["waiting"], s["waiting_people"] = households, int(people)
    progress("Providers, capacity and panels", 3, steps)
    for community_id, accepting, declared, intake, open_places, panel in _providers(p):
        s = index[community_id]
        s["providers"] += 1
        s["panel_buckets"][panel_bucket(panel)] += 1
        s["panel_total"] += panel
        if accepting:
            s["accepting"] += 1
            s["declared"] += declared
            s["monthly_intake"] += intake
            s["open_places"] += open_places
    waits = defaultdict(list)
    owner = {
        "community": {c["id"]: c["division_id"] for c in communities},
        "pcn": {c["pcn_id"]: c["division_id"] for c in communities if c["pcn_id"]},
    }
    progress("Waits of people waiting", 4, steps)
    for row in _waits_waiting(p):
        waits[_division_of(row, owner)].append(wait_row(row))
    progress("Waits of people attached", 5, steps)
    for row in _waits_attached(p):
        waits[_division_of(row, owner)].append(wait_row(row))
    progress("Offers", 6, steps)
    offers = offer_figures.collect(p)  # None while the offer workflow's table does not exist

    out = {}
    for division_id in division_ids:
        per = by_div.get(division_id, {})
        out[division_id] = {
            "version": 1,
            "as_of": as_of.isoformat(),
            "start": p["start"].isoformat(),
            "communities": {
                str(c["id"]): {"name": c["name"], "pcn": c["pcn_id"]} for c in communities if c["division_id"] == division_id
            },
            "pcns": {
                str(pid): name for pid, name in pcns.items()
                if any(c["pcn_id"] == pid and c["division_id"] == division_id for c in communities)
            },
            "by_community": {str(cid): s for cid, s in per.items()},
            "waits": waits.get(division_id, []),
            # None only while the offer workflow's table does not exist; no offers yet is zeros.
            "offers": (offers.get(division_id) or {"by_community": {}, "reasons": [], "days_to_attach": []})
            if offers is not None else None,
        }
    progress("Saving", 7, steps)
    return out


def _division_of(row, owner):
    level, key = row[1], row[2]
    return key if level == "division" else owner[level][key]


def build_snapshots(division_ids=None, *, as_of=None, progress=None) -> list[ReportSnapshot]:
    """Build (or rebuild, for the same day) the snapshot of each division; all divisions by default."""
    if division_ids is None:
        division_ids = list(Division.objects.values_list("id", flat=True))
    else:
        known = set(Division.objects.filter(pk__in=division_ids).values_list("id", flat=True))
        if missing := set(division_ids) - known:
            raise Division.DoesNotExist(f"No division {sorted(missing)}")
    as_of = as_of or local_today()
    started = time.monotonic()
    data = compute(division_ids, as_of=as_of, progress=progress)
    seconds = round(time.monotonic() - started, 3)
    start = as_of - datetime.timedelta(days=DAYS - 1)
    snapshots = []
    with transaction.atomic():
        for division_id, payload in data.items():
            snapshot, _ = ReportSnapshot.objects.update_or_create(
                division_id=division_id, as_of=as_of, period=PERIOD,
                defaults={"period_start": start, "data": payload, "seconds": seconds},
            )
            snapshots.append(snapshot)
    log.info("built %d report snapshot(s) as of %s in %.2fs", len(snapshots), as_of, seconds)
    return snapshots
