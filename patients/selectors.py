"""Reads of the Health Connect Registry shared by its views.

The waitlist is built to stay fast at provincial scale (300,000 registrations): every
query starts from the coordinator's divisions and one of the waitlist indexes
(waitlist_open_rank / waitlist_open_wait / waitlist_rank), search uses exact indexed
matches (PHN, reference code, phone digits) or trigram indexes (names), and pages are
fetched one row beyond the page size instead of counting the whole list.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from patients.lookup import normalize_code
from patients.models import REFERENCE_ALPHABET, REFERENCE_LENGTH, ContactNote, Patient, Registration
from registries.phn import normalize_phn

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


def registrations_in_scope(divisions):
    return Registration.objects.filter(division__in=divisions)


def _search_q(term: str) -> Q:
    """What a coordinator's search box finds: a PHN, a reference code, a phone number or names."""
    term = term.strip()
    digits = "".join(ch for ch in term if ch.isdigit())
    compact = normalize_phn(term)
    if compact.isdigit() and len(compact) == 10 and compact.startswith("9"):
        return Q(Exists(Patient.objects.filter(registration=OuterRef("pk"), phn=compact))) | Q(phone_digits=compact)
    code = normalize_code(term)
    looks_like_code = len(code) == REFERENCE_LENGTH and all(ch in REFERENCE_ALPHABET for ch in code)
    if digits and len(digits) >= 7 and len(digits) == len("".join(ch for ch in term if ch.isalnum())):
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        return Q(phone_digits=digits)
    words = [w for w in term.replace(",", " ").split() if w]
    name_match = Patient.objects.filter(registration=OuterRef("pk"))
    for word in words:
        name_match = name_match.filter(Q(last_name__icontains=word) | Q(first_name__icontains=word))
    q = Q(Exists(name_match)) if words else Q(pk__in=[])
    if looks_like_code:
        q |= Q(reference_code=code)
    return q


def waitlist(divisions, query: WaitlistQuery, *, page: int = 1, now=None):
    """One page of the waitlist: (rows, has_next). No COUNT(*) over the division."""
    now = now or timezone.now()
    qs = Registration.objects.filter(division__in=divisions)
    if query.q:
        qs = qs.filter(_search_q(query.q))
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
    order = ["registered_at", "id"] if query.sort == "wait" else ["-effective_priority", "registered_at", "id"]
    qs = qs.select_related("community").order_by(*order)
    primary = Patient.objects.filter(is_primary_contact=True).only(
        "id", "registration_id", "first_name", "last_name", "is_primary_contact"
    )
    qs = qs.prefetch_related(Prefetch("members", queryset=primary, to_attr="primary_members"))
    page = max(1, page)
    start = (page - 1) * PAGE_SIZE
    rows = list(qs[start:start + PAGE_SIZE + 1])
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def registration_for(user_divisions, pk: int) -> Registration | None:
    return (
        Registration.objects.filter(division__in=user_divisions, pk=pk)
        .select_related("community", "division", "entered_by")
        .first()
    )


def registration_detail(registration: Registration) -> dict:
    return {
        "members": list(registration.members.order_by("-is_primary_contact", "id")),
        "history": list(registration.status_history.select_related("by").order_by("-at", "-id")),
        "notes": list(registration.contact_notes.select_related("by").order_by("-at", "-id")),
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


def attempts_before_suspend() -> int:
    return settings.ATTACH_CONTACT_ATTEMPTS_BEFORE_SUSPEND


__all__ = ["WaitlistQuery", "waitlist", "registration_for", "registration_detail", "call_list", "ContactNote"]
