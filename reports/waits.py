"""How long people waited, per community: the honest status's comparison.

For a community, the people attached in the last 12 months, and the median and 90th
percentile of how long they had waited (registered → attached, in days, counting each
member of a household). A group of fewer than 10 people publishes neither its size nor
its percentiles (reports.suppression.percentile_display): the answer is then "too few to
say", never a number that would describe somebody.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from patients.models import Registration
from registries.models import Community
from reports import suppression as sup

MONTHS = 12


@dataclass(frozen=True)
class CommunityWaits:
    community: str
    people: int | str | None  # "<10" when small
    median_days: float | None
    p90_days: float | None

    @property
    def published(self) -> bool:
        return self.median_days is not None


def attached_waits(community_id: int, *, now=None) -> CommunityWaits:
    """The community's waits of people attached in the last 12 months, suppressed."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=365)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT c.name, count(x.wait),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY x.wait),
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY x.wait)
              FROM {Community._meta.db_table} c
              LEFT JOIN (
                    SELECT ((r.status_changed_at AT TIME ZONE %(tz)s)::date
                            - (r.registered_at AT TIME ZONE %(tz)s)::date) AS wait
                      FROM {Registration._meta.db_table} r
                     CROSS JOIN LATERAL generate_series(1, r.household_size) person
                     WHERE r.community_id = %(community)s AND r.status = 'attached'
                       AND r.status_changed_at > %(since)s AND r.status_changed_at <= %(now)s
              ) x ON true
             WHERE c.id = %(community)s
             GROUP BY c.name
            """,
            {"tz": settings.TIME_ZONE, "community": community_id, "since": since, "now": now},
        )
        name, people, median, p90 = cursor.fetchone()
    return CommunityWaits(
        community=name, people=sup.cell(people),
        median_days=sup.percentile_display(people, round(median) if median is not None else None),
        p90_days=sup.percentile_display(people, round(p90) if p90 is not None else None),
    )


def household_wait_days(registration: Registration, *, now=None) -> int:
    """Days the household has waited: to now while open, else to when it left the list."""
    end = (now or timezone.now()) if registration.is_open else registration.status_changed_at
    return max(0, (end - registration.registered_at).days)


def honest_status(registration: Registration, *, now=None) -> dict:
    """What the status page adds to the status: the household's wait beside its community's."""
    return {"waited_days": household_wait_days(registration, now=now),
            "community": attached_waits(registration.community_id, now=now)}
