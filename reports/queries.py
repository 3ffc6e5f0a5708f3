"""SQL building blocks that the snapshot's queries share (reports/services.py, reports/offers.py).

The waits and the offers' days-to-attach are both percentiles over the same levels
(division, PCN, community) and priority groups, in the same period windows; both are
read back into the same row shape. Kept here, apart from either caller, so neither
imports the other's internals.
"""

from django.db import connection

ATTACHED_WINDOWS = (4, 13, 26, 52)  # weeks; the dashboard's period choices


def rows(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def windows_values():
    """The period windows as a VALUES list, to join as `(VALUES ...) w(weeks)`."""
    return ", ".join(f"({w})" for w in ATTACHED_WINDOWS)


def levels_select():
    """Level, key and group of a GROUPING SETS row over x (with division_id, community_id, grp) and c (community)."""
    # GROUPING(pcn_id, community_id): 3 = whole division, 1 = a PCN, 2 = a community.
    return """CASE GROUPING(c.pcn_id, x.community_id) WHEN 3 THEN 'division' WHEN 1 THEN 'pcn' ELSE 'community' END,
              CASE GROUPING(c.pcn_id, x.community_id) WHEN 3 THEN x.division_id WHEN 1 THEN c.pcn_id ELSE x.community_id END,
              CASE WHEN GROUPING(x.grp) = 1 THEN 'all' ELSE x.grp END"""


def grouping_sets(extra=""):
    """The GROUPING SETS that levels_select reads: each level, with and without the group."""
    e = f"{extra}, " if extra else ""
    return ", ".join(
        f"({e}x.division_id{g}{lvl})"
        for lvl in ("", ", c.pcn_id", ", x.community_id")
        for g in ("", ", x.grp")
    )


def wait_row(row):
    """A percentile row (weeks, level, key, group, n, p50, p90) as the snapshot stores it."""
    weeks, level, key, group, n, p50, p90 = row
    return {
        "weeks": weeks, "level": level, "key": key, "group": group, "n": n,
        "p50": round(p50, 1) if p50 is not None else None, "p90": round(p90, 1) if p90 is not None else None,
    }
