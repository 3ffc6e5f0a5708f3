"""Recompute providers' open capacity from history and repair any drift.

The rule is providers.capacity's (`open_capacity_sql`); what the workflow adds is which
places are taken: those of proposals still open, and of offers that still hold them
(sent, accepted by the clinic) or consumed them (attached), each taken when its
proposal was made.
"""

from dataclasses import dataclass, field

from django.db import connection, transaction

from providers.capacity import open_capacity_sql

# The places drawn on providers' capacity: (provider_id, taken_at, places).
HELD_PLACES_SQL = """
    SELECT pr.provider_id, pr.created_at AS taken_at, pr.places
    FROM attachment_proposal pr
    LEFT JOIN attachment_offer o ON o.proposal_id = pr.id
    WHERE pr.status = 'proposed' OR o.status IN ('sent', 'clinic_accepted', 'attached')
"""


@dataclass
class RefreshReport:
    checked: int = 0
    fixed: list[dict] = field(default_factory=list)  # [{"provider": id, "was": n, "now": m}]

    @property
    def summary(self) -> str:
        if not self.fixed:
            return f"{self.checked} providers checked; no drift"
        return f"{self.checked} providers checked; open capacity corrected for {len(self.fixed)}"

    def as_figures(self) -> dict:
        return {"checked": self.checked, "fixed": len(self.fixed), "corrections": self.fixed[:200]}


def expected_open_capacity(provider_ids=None) -> dict[int, tuple[int, int]]:
    """{provider id: (stored open capacity, expected open capacity)}."""
    sql, params = _expected_sql(provider_ids)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return {pid: (stored, expected) for pid, stored, expected in cur.fetchall()}


def _expected_sql(provider_ids):
    return open_capacity_sql(HELD_PLACES_SQL, provider_ids)


@transaction.atomic
def recompute_open_capacity(provider_ids=None) -> RefreshReport:
    """Set every (or the given) provider's open capacity to what history says, set-based.

    The provider rows are locked first (in id order, like the matching run) so no
    proposal, offer or declaration changes them between the count and the fix.
    """
    with connection.cursor() as cur:
        if provider_ids is None:
            cur.execute("SELECT id FROM providers_provider ORDER BY id FOR UPDATE")
        else:
            cur.execute(
                "SELECT id FROM providers_provider WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                [[int(i) for i in provider_ids]],
            )
        checked = cur.rowcount
        sql, params = _expected_sql(provider_ids)
        cur.execute(
            f"""
            WITH expected AS ({sql}),
            drift AS (SELECT id, open_capacity AS was, expected AS now FROM expected WHERE open_capacity <> expected)
            UPDATE providers_provider p SET open_capacity = drift.now
            FROM drift WHERE p.id = drift.id
            RETURNING p.id, drift.was, drift.now
            """,
            params,
        )
        fixed = [{"provider": pid, "was": was, "now": now} for pid, was, now in sorted(cur.fetchall())]
    return RefreshReport(checked=checked, fixed=fixed)
