"""Open capacity: the shared resource that proposals, offers and attachments draw on.

Every change goes through these functions, which lock the provider row
(SELECT ... FOR UPDATE) inside the caller's transaction; the CHECK constraint
`provider_open_capacity_not_negative` is the last line of defence.
"""

from django.db import transaction
from django.db.models import F

from attachment.core import audit
from attachment.core.errors import DomainError
from providers.models import CapacityDeclaration, Provider


class NoCapacity(DomainError):
    """The provider has fewer open places than the household needs."""


def lock_provider(provider_id: int) -> Provider:
    return Provider.objects.select_for_update().get(pk=provider_id)


@transaction.atomic
def take_places(provider_id: int, places: int) -> Provider:
    """Reserve `places` of the provider's open capacity, or raise NoCapacity."""
    provider = lock_provider(provider_id)
    if provider.open_capacity < places:
        raise NoCapacity(f"{provider} has {provider.open_capacity} open places; {places} needed")
    Provider.objects.filter(pk=provider_id).update(open_capacity=F("open_capacity") - places)
    provider.open_capacity -= places
    return provider


@transaction.atomic
def return_places(provider_id: int, places: int, *, taken_at) -> Provider:
    """Give back `places` taken at `taken_at` (a declined or expired offer, a skipped proposal).

    A declaration resets the count, so places taken before the newest declaration were
    charged to the old one and are not added to the new one; and never above what the
    newest declaration allows.
    """
    provider = lock_provider(provider_id)
    declared = latest_declaration(provider)
    if declared is None or taken_at < declared.declared_at:
        return provider
    new_value = min(provider.open_capacity + places, declared.new_patients)
    if new_value > provider.open_capacity:
        Provider.objects.filter(pk=provider_id).update(open_capacity=new_value)
        provider.open_capacity = new_value
    return provider


def latest_declaration(provider: Provider) -> CapacityDeclaration | None:
    return provider.capacity_declarations.order_by("-declared_at", "-id").first()


# The rule the functions above keep step by step, as one set-based query: a provider's
# open capacity is what the newest declaration allows (new_patients; 0 when not
# accepting) minus the places taken since that declaration, never below 0. Places taken
# before it were charged to the old declaration (see declare_capacity, return_places).
# `held` is supplied by whoever draws on capacity: rows of (provider_id, taken_at, places).
_OPEN_CAPACITY_SQL = """
WITH latest AS (
    SELECT DISTINCT ON (d.provider_id) d.provider_id, d.new_patients, d.accepting, d.declared_at
    FROM providers_capacitydeclaration d
    {decl_filter}
    ORDER BY d.provider_id, d.declared_at DESC, d.id DESC
),
held AS (
    SELECT h.provider_id, SUM(h.places) AS places
    FROM ({held}) h
    JOIN latest l ON l.provider_id = h.provider_id
    WHERE h.taken_at >= l.declared_at
    GROUP BY h.provider_id
)
SELECT p.id, p.open_capacity,
       GREATEST(CASE WHEN l.accepting THEN l.new_patients ELSE 0 END - COALESCE(h.places, 0), 0) AS expected
FROM providers_provider p
LEFT JOIN latest l ON l.provider_id = p.id
LEFT JOIN held h ON h.provider_id = p.id
{provider_filter}
"""


def open_capacity_sql(held: str, provider_ids=None) -> tuple[str, list]:
    """SQL and parameters for (provider id, stored open capacity, expected open capacity),
    for every provider or those in `provider_ids`; `held` is a query of the places taken
    (provider_id, taken_at, places). Locks nothing: callers that fix drift hold the rows."""
    if provider_ids is None:
        return _OPEN_CAPACITY_SQL.format(held=held, decl_filter="", provider_filter=""), []
    ids = [int(i) for i in provider_ids]
    sql = _OPEN_CAPACITY_SQL.format(
        held=held, decl_filter="WHERE d.provider_id = ANY(%s)", provider_filter="WHERE p.id = ANY(%s)"
    )
    return sql, [ids, ids]


@transaction.atomic
def declare_capacity(
    provider: Provider,
    *,
    accepting: bool,
    new_patients: int,
    by=None,
    monthly_intake: int = 0,
    desired_panel_size: int | None = None,
    complexity: str = CapacityDeclaration.Complexity.MODERATE,
    note: str = "",
    actor=None,
) -> CapacityDeclaration:
    """Record a new declaration; it replaces the open capacity (places since count from now)."""
    provider = lock_provider(provider.pk)
    if not accepting:
        new_patients = 0
    declaration = CapacityDeclaration.objects.create(
        provider=provider,
        accepting=accepting,
        new_patients=new_patients,
        monthly_intake=monthly_intake,
        desired_panel_size=desired_panel_size,
        complexity=complexity,
        note=note,
        declared_by=by,
    )
    Provider.objects.filter(pk=provider.pk).update(accepting=accepting, open_capacity=new_patients)
    audit.record(
        user=by, action="update", obj=provider, actor=actor,
        summary=f"Capacity declared: {'accepting' if accepting else 'not accepting'}, {new_patients} new patients",
        changes={
            "accepting": accepting, "new_patients": new_patients, "monthly_intake": monthly_intake,
            "desired_panel_size": desired_panel_size, "complexity": complexity, "declaration": declaration.pk,
        },
    )
    return declaration
