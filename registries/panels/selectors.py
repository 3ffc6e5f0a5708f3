"""Panel Registry reads: keyset-paginated panels (no OFFSET, no COUNT(*) on a division's millions)."""

import base64
import json

from django.db.models import Q

from attachment.core.access import providers_in_divisions
from registries.models import PanelConflict, PanelEntry, WaitlistFlag
from registries.phn import is_ascii_digits, normalize_phn

PAGE_SIZE = 50


def encode_cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(token: str | None):
    if not token:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, TypeError):
        return None


def _search(qs, q: str):
    q = (q or "").strip()
    if not q:
        return qs
    digits = normalize_phn(q)
    if is_ascii_digits(digits):
        # The PHN's unique index answers an exact number, and a prefix as a range: PHNs are ten
        # digits, so the prefix's numbers lie between it padded with 0s and padded with 9s.
        if len(digits) >= 10:
            return qs.filter(patient__phn=digits)
        return qs.filter(patient__phn__gte=digits.ljust(10, "0"), patient__phn__lte=digits.ljust(10, "9"))
    parts = q.replace(",", " ").split()
    for part in parts:
        qs = qs.filter(Q(patient__last_name__icontains=part) | Q(patient__first_name__icontains=part))
    return qs


def open_panel(provider):
    return PanelEntry.objects.filter(provider=provider, ended_at__isnull=True)


def panel_page(provider, *, q: str = "", after: str | None = None, size: int = PAGE_SIZE):
    """One page of a provider's open panel in name order, and the cursor of the next page (or None)."""
    qs = _search(open_panel(provider), q).select_related("patient")
    cursor = decode_cursor(after)
    if cursor:
        last, first, pk = cursor
        qs = qs.filter(
            Q(patient__last_name__gt=last)
            | Q(patient__last_name=last, patient__first_name__gt=first)
            | Q(patient__last_name=last, patient__first_name=first, pk__gt=pk)
        )
    rows = list(qs.order_by("patient__last_name", "patient__first_name", "pk")[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        tail = rows[-1]
        next_cursor = encode_cursor([tail.patient.last_name, tail.patient.first_name, tail.pk])
    return rows, next_cursor


def division_panel_page(divisions, *, q: str = "", provider_id=None, after: str | None = None, size: int = PAGE_SIZE):
    """Open panel entries across the coordinator's divisions, newest first, keyset on the primary key."""
    providers = providers_in_divisions(divisions)
    if provider_id:
        providers = providers.filter(pk=provider_id)
    qs = _search(PanelEntry.objects.filter(ended_at__isnull=True, provider__in=providers.values("pk")), q)
    cursor = decode_cursor(after)
    if cursor:
        qs = qs.filter(pk__lt=cursor[0])
    rows = list(qs.select_related("patient", "provider").order_by("-pk")[: size + 1])
    next_cursor = encode_cursor([rows[size - 1].pk]) if len(rows) > size else None
    return rows[:size], next_cursor


def open_conflicts(divisions):
    """Conflicts where either provider practises in (or serves) one of the divisions."""
    providers = providers_in_divisions(divisions).values("pk")
    return (
        PanelConflict.objects.filter(resolved_at__isnull=True)
        .filter(Q(claiming_provider__in=providers) | Q(existing_entry__provider__in=providers))
        .select_related("patient", "claiming_provider", "existing_entry__provider", "upload")
        .order_by("created_at", "pk")
    )


def open_flags(divisions):
    return (
        WaitlistFlag.objects.filter(resolved_at__isnull=True, division__in=divisions)
        .select_related("patient", "registration", "provider", "upload")
        .order_by("created_at", "pk")
    )


def uploads_of(provider, limit: int = 20):
    return provider.panel_uploads.select_related("uploaded_by").order_by("-created_at")[:limit]


# The columns of an API page of a panel (api/views/panels.py), the patient joined.
ENTRY_PAGE_COLUMNS = (
    "e.id", "e.provider_id", "e.since", "e.source", "e.last_visit", "e.end_reason",
    "p.id", "p.phn", "p.first_name", "p.last_name", "p.date_of_birth", "p.gender", "p.is_primary_contact",
)


def open_entries_page(provider_id: int, scope: tuple[str, list], *, after: int | None = None,
                      before: int | None = None, size: int, source: str | None = None,
                      since_after=None, phn: str | None = None,
                      audit_event: dict | None = None) -> tuple[list[tuple], bool]:
    """Up to `size` open entries of a provider's panel, after (or just before) an id, where
    `scope` (access.panel_reader_sql for the provider) allows, in id order; and whether
    more lie beyond in the direction walked. Its rows are ENTRY_PAGE_COLUMNS tuples.

    `audit_event` (audit.event_values, "{count}" in its summary) is written by the same
    statement when the scope allows, the page empty or not: no page is read without its
    audit row. One statement on the `panel_open_page` index, prepared and planned once per
    connection (attachment/core/prepared.py). SQL, not ORM: this is the page EMRs poll, and
    building its ORM query cost more than running it."""
    from attachment.core import audit, prepared
    from patients.models import Patient
    from providers.models import Provider

    condition, scope_params = scope
    where, params = ["e.provider_id = %s", "e.ended_at IS NULL", "(SELECT ok FROM allowed)"], [provider_id]
    for sql, value in (("e.id > %s", after), ("e.id < %s", before), ("e.source = %s", source),
                       ("e.since >= %s", since_after), ("p.phn = %s", phn)):
        if value is not None:
            where.append(sql)
            params.append(value)
    order = "DESC" if before is not None else "ASC"
    size = int(size)  # in the statement's text: PostgreSQL plans a LIMIT it knows
    statement = (f"WITH allowed AS (SELECT {condition} AS ok), "
                 f"page AS (SELECT {', '.join(ENTRY_PAGE_COLUMNS)} FROM {PanelEntry._meta.db_table} e "
                 f"JOIN {Patient._meta.db_table} p ON p.id = e.patient_id "
                 f"WHERE {' AND '.join(where)} ORDER BY e.id {order} LIMIT {size + 1})")
    params = [*scope_params, *params]
    if audit_event is not None:
        insert, insert_params = audit.insert_sql(audit_event, count_sql=f"SELECT least(count(*), {size}) FROM page")
        statement += (f", seen AS ({insert} FROM allowed WHERE ok "
                      f"AND EXISTS (SELECT 1 FROM {Provider._meta.db_table} WHERE id = %s))")
        params += [*insert_params, provider_id]
    rows = prepared.fetch_all(f"{statement} SELECT * FROM page ORDER BY 1 {order}", params)
    more = len(rows) > size
    rows = rows[:size]
    return (rows[::-1] if before is not None else rows), more
