"""Offer figures for the snapshot, from the offer workflow's table (attachment.Offer).

Offers are counted by the week they were sent, with the status they have now. Decline
reasons are free text typed by clinics and coordinators, so a reason is published only
when at least ten declines share it word for word (after trimming and lower-casing);
the rest are counted together as "other reasons". A reason typed once may name someone.
"""

from django.db import connection

from reports.queries import grouping_sets, levels_select, wait_row, windows_values
from reports.suppression import THRESHOLD

OUTCOMES = [
    ("sent", "Sent"),
    ("open", "Awaiting an answer"),
    ("clinic_accepted", "Accepted by the clinic"),
    ("attached", "Attached"),
    ("clinic_declined", "Declined by the clinic"),
    ("patient_declined", "Declined by the patient"),
    ("expired", "Expired"),
    ("withdrawn", "Withdrawn"),
]


def table_exists() -> bool:
    from attachment.workflow.models import Offer

    return Offer._meta.db_table in connection.introspection.table_names()


def collect(p):
    """{division id: {...}} or None when the offer workflow's table does not exist yet."""
    from attachment.workflow.models import Offer
    from patients.models import Registration
    from registries.models import PCN, Community

    if not table_exists():
        return None
    t_offer, t_reg, t_com = Offer._meta.db_table, Registration._meta.db_table, Community._meta.db_table
    base = f"""
        FROM {t_offer} o JOIN {t_reg} r ON r.id = o.registration_id
        JOIN (VALUES {windows_values()}) w(weeks)
          ON (o.sent_at AT TIME ZONE %(tz)s)::date > %(as_of)s::date - 7 * w.weeks
       WHERE r.division_id = ANY(%(ids)s) AND (o.sent_at AT TIME ZONE %(tz)s)::date <= %(as_of)s
    """
    counts_sql = f"""
    SELECT r.division_id, r.community_id, w.weeks, count(*),
           count(*) FILTER (WHERE o.status IN ('sent', 'clinic_accepted')),
           count(*) FILTER (WHERE o.status IN ('clinic_accepted', 'attached', 'patient_declined')),
           count(*) FILTER (WHERE o.status = 'attached'),
           count(*) FILTER (WHERE o.status = 'clinic_declined'),
           count(*) FILTER (WHERE o.status = 'patient_declined'),
           count(*) FILTER (WHERE o.status = 'expired'),
           count(*) FILTER (WHERE o.status = 'withdrawn')
    {base}
    GROUP BY 1, 2, 3
    """
    reasons_sql = f"""
    SELECT r.division_id, w.weeks, o.status, lower(btrim(o.decline_reason)), count(*)
    {base} AND o.status IN ('clinic_declined', 'patient_declined')
    GROUP BY 1, 2, 3, 4
    """
    days_sql = f"""
    SELECT x.weeks, {levels_select()}, count(*),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY x.wait),
           percentile_cont(0.9) WITHIN GROUP (ORDER BY x.wait)
      FROM (SELECT r.division_id, r.community_id, 'all'::text AS grp, w.weeks,
                   ((o.patient_answered_at AT TIME ZONE %(tz)s)::date
                     - (o.sent_at AT TIME ZONE %(tz)s)::date) AS wait
              {base} AND o.status = 'attached') x
      JOIN {t_com} c ON c.id = x.community_id
     GROUP BY GROUPING SETS ({grouping_sets("x.weeks")})
    """
    out = {}

    def division(div):
        return out.setdefault(div, {"by_community": {}, "reasons": [], "days_to_attach": []})

    with connection.cursor() as cursor:
        cursor.execute(counts_sql, p)
        for div, community_id, weeks, *figures in cursor.fetchall():
            per = division(div)["by_community"].setdefault(str(community_id), {})
            per[str(weeks)] = dict(zip([key for key, _ in OUTCOMES], figures))
        cursor.execute(reasons_sql, p)
        grouped = {}
        for div, weeks, status, reason, n in cursor.fetchall():
            key = (div, weeks, status, reason if n >= THRESHOLD and reason else "")
            grouped[key] = grouped.get(key, 0) + n
        for (div, weeks, status, reason), n in grouped.items():
            division(div)["reasons"].append({"weeks": weeks, "by": status, "reason": reason, "n": n})
        cursor.execute(days_sql, p)

        owner = {
            "division": None,
            "community": dict(Community.objects.values_list("id", "division_id")),
            "pcn": dict(PCN.objects.values_list("id", "division_id")),
        }
        for row in cursor.fetchall():
            level_row = wait_row(row)
            key = level_row["key"]
            div = key if level_row["level"] == "division" else owner[level_row["level"]].get(key)
            if div is not None:
                division(div)["days_to_attach"].append(level_row)
    return out
