"""Reads of the Health Connect Registry shared by its views.

The waitlist is built to stay fast at provincial scale (300,000 registrations): every
query starts from the coordinator's divisions and one of the waitlist indexes
(waitlist_open_rank / waitlist_open_wait / waitlist_rank), search uses exact indexed
matches (PHN, reference code, phone digits) or trigram indexes (names), and pages are
fetched one row beyond the page size instead of counting the whole list.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch, Q
from django.utils import timezone

from patients.lookup import normalize_code
from patients.models import REFERENCE_ALPHABET, REFERENCE_LENGTH, Patient, Registration
from patients.priority import FACTOR_LABELS
from registries.phn import is_ascii_digits, normalize_phn

PAGE_SIZE = 50
OPEN = "open"


@dataclass
class WaitlistQuery:
    q: str = ""
    community: int | None = None
    status: str = OPEN
    factor: str = ""
    language: str = ""
    waited_days: int | None = None
    suspended: str = ""  # "", "yes", "no"
    sort: str = "priority"  # "priority" or "wait"


def _search_q(term: str, divisions) -> Q:
    """What a coordinator's search box finds: a PHN, a reference code, a phone number or names.

    Exact identifiers are resolved to registration ids first (unique indexes), so the
    page query is a primary-key lookup; each word of a name must appear in the
    household's names (Registration.search_names, trigram-indexed), which PostgreSQL
    combines with the division's own index on the same table.
    """
    term = term.strip()
    compact = normalize_phn(term)
    if is_ascii_digits(compact) and len(compact) == 10 and compact.startswith("9"):
        ids = set(Patient.objects.filter(phn=compact).values_list("registration_id", flat=True))
        ids |= set(Registration.objects.filter(phone_digits=compact).values_list("id", flat=True))
        return Q(pk__in=[i for i in ids if i is not None])
    alnum = "".join(ch for ch in term if ch.isalnum())
    digits = "".join(ch for ch in alnum if is_ascii_digits(ch))
    if len(digits) >= 7 and digits == alnum:
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        return Q(phone_digits=digits)
    code = normalize_code(term)
    if len(code) == REFERENCE_LENGTH and all(ch in REFERENCE_ALPHABET for ch in code):
        # Some names are also valid codes (HARPREET): an exact code wins, else names.
        ids = list(Registration.objects.filter(reference_code=code, division__in=divisions).values_list("id", flat=True))
        if ids:
            return Q(pk__in=ids)
    words = [w.upper() for w in term.replace(",", " ").split() if w]
    if not words:
        return Q(pk__in=[])
    q = Q()
    for word in words:
        q &= Q(search_names__contains=word)
    return q


def _matching(divisions, query: WaitlistQuery, now):
    """The registrations the query finds, unordered."""
    qs = Registration.objects.filter(division__in=divisions)
    if query.q:
        qs = qs.filter(_search_q(query.q, divisions))
    if query.status == OPEN:
        # A search looks across every status (somebody phoning in may have been withdrawn).
        if not query.q:
            qs = qs.filter(status__in=Registration.OPEN_STATUSES)
    elif query.status:
        qs = qs.filter(status=query.status)
    if query.community:
        qs = qs.filter(community_id=query.community)
    if query.factor:
        qs = qs.filter(priority_factors__contains=[query.factor])
    if query.language:
        qs = qs.filter(languages__contains=[query.language])
    if query.waited_days:
        qs = qs.filter(registered_at__lte=now - datetime.timedelta(days=query.waited_days))
    if query.suspended == "yes":
        qs = qs.filter(suspended_at__isnull=False)
    elif query.suspended == "no":
        qs = qs.filter(suspended_at__isnull=True)
    return qs


def waitlist(divisions, query: WaitlistQuery, *, page: int = 1, now=None):
    """One page of the waitlist: (rows, has_next). No COUNT(*) over the division."""
    now = now or timezone.now()
    qs = _matching(divisions, query, now)
    order = ["registered_at", "id"] if query.sort == "wait" else ["-effective_priority", "registered_at", "id"]
    qs = qs.select_related("community").order_by(*order)
    primary = Patient.objects.filter(is_primary_contact=True).only(
        "id", "registration_id", "first_name", "last_name", "is_primary_contact"
    )
    qs = qs.prefetch_related(Prefetch("members", queryset=primary, to_attr="primary_members"))
    page = max(1, page)
    start = (page - 1) * PAGE_SIZE
    rows = list(qs[start:start + PAGE_SIZE + 1])
    return _for_display(rows[:PAGE_SIZE], now), len(rows) > PAGE_SIZE


COUNT_CAP = 1000


def waitlist_total(divisions, query: WaitlistQuery, *, page: int = 1, now=None) -> tuple[int, bool]:
    """How many registrations the query finds, counted up to COUNT_CAP past this page's
    start: (count, more). A full COUNT(*) would read the whole division on every page
    view; reading at most COUNT_CAP + 1 ids (in any order) stops early and can still say
    "more than 1,000"."""
    now = now or timezone.now()
    start = (max(1, page) - 1) * PAGE_SIZE
    limit = start + COUNT_CAP
    found = len(_matching(divisions, query, now).order_by().values_list("pk", flat=True)[:limit + 1])
    return min(found, limit), found > limit


def _for_display(rows, now):
    """Everything a row shows, worked out once in Python: template filters per cell
    (dates, timesince, labels) cost more than the query at 50 rows a page."""
    statuses = dict(Registration.Status.choices)
    today = timezone.localdate(now)
    for r in rows:
        local = timezone.localtime(r.registered_at)
        r.registered_on = local.strftime("%Y-%m-%d")
        r.waited_days = (today - local.date()).days
        r.status_label = statuses.get(r.status, r.status)
        r.factor_names = "; ".join(FACTOR_LABELS.get(f, f) for f in r.priority_factors)
        r.overridden = r.priority_override is not None
        primary = r.primary_members[0] if r.primary_members else None
        r.contact_name = f"{primary.last_name}, {primary.first_name}" if primary else ""
    return rows


def registration_detail(registration: Registration) -> dict:
    return {
        "members": list(registration.members.order_by("-is_primary_contact", "id")),
        "history": list(registration.status_history.select_related("by").order_by("-at", "-id")),
        "notes": list(registration.contact_notes.select_related("by").order_by("-at", "-id")),
        "identity_held": registration.identity_conflicts.filter(resolved_at__isnull=True).count(),
    }


def call_list(divisions, *, now=None, page: int = 1):
    """Waiting households without email whose reminder is due: the coordinators phone them."""
    from patients.services import due_for_reminder

    qs = (
        due_for_reminder(now).filter(division__in=divisions, email="")
        .select_related("community")
        .prefetch_related(
            Prefetch("members", queryset=Patient.objects.filter(is_primary_contact=True), to_attr="primary_members")
        )
        .order_by("reminder_base", "id")
    )
    start = (max(1, page) - 1) * PAGE_SIZE
    rows = list(qs[start:start + PAGE_SIZE + 1])
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE

