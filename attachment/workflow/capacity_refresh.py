"""Recompute providers' open capacity from history and repair any drift.

The rule (the same one the services keep step by step): a provider's open capacity is
what their newest declaration allows (new_patients, 0 when not accepting) minus the
places taken since that declaration by proposals that are still open and by offers
that still hold them (sent, accepted by the clinic) or consumed them (attached).
"Since the declaration" is decided by when the proposal was made: a new declaration
replaces the count (providers.capacity.declare_capacity), so places taken under the
old one are not charged to the new one, and giving them back must not add to it
either (see providers.capacity.return_places).
"""

from dataclasses import dataclass, field

from django.db import connection, transaction

# Expected open capacity per provider. Locks nothing by itself; callers hold the rows.
EXPECTED_SQL = """
WITH latest AS (
    SELECT DISTINCT ON (d.provider_id) d.provider_id, d.new_patients, d.accepting, d.declared_at
    FROM providers_capacitydeclaration d
    {decl_filter}
    ORDER BY d.provider_id, d.declared_at DESC, d.id DESC
),
held AS (
    SELECT pr.provider_id, SUM(pr.places) AS places
    FROM attachment_proposal pr
    JOIN latest l ON l.provider_id = pr.provider_id
    LEFT JOIN attachment_offer o ON o.proposal_id = pr.id
    WHERE pr.created_at >= l.declared_at
      AND (pr.status = 'proposed' OR o.status IN ('sent', 'clinic_accepted', 'attached'))
    GROUP BY pr.provider_id
)
SELECT p.id, p.open_capacity,
       GREATEST(CASE WHEN l.accepting THEN l.new_patients ELSE 0 END - COALESCE(h.places, 0), 0) AS expected
FROM providers_provider p
LEFT JOIN latest l ON l.provider_id = p.id
LEFT JOIN held h ON h.provider_id = p.id
{provider_filter}
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
    if provider_ids is None:
        return EXPECTED_SQL.format(decl_filter="", provider_filter=""), []
    ids = [int(i) for i in provider_ids]
    return (
        EXPECTED_SQL.format(
            decl_filter="WHERE d.provider_id = ANY(%s)", provider_filter="WHERE p.id = ANY(%s)"
        ),
        [ids, ids],
    )


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
