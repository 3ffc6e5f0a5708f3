"""Writes to the Health Connect Registry. Each function is one transaction."""

from django.db import transaction
from django.utils import timezone

from attachment import audit
from patients.models import Registration, RegistrationStatusChange

# Which moves the waitlist allows (DESIGN.md: waiting → offered → attached; any open
# state → withdrawn or ineligible; a declined or expired offer returns to waiting).
ALLOWED = {
    Registration.Status.WAITING: {"offered", "withdrawn", "ineligible", "attached"},
    Registration.Status.OFFERED: {"waiting", "attached", "withdrawn", "ineligible"},
    Registration.Status.ATTACHED: set(),
    Registration.Status.WITHDRAWN: {"waiting"},
    Registration.Status.INELIGIBLE: {"waiting"},
}


class InvalidTransition(Exception):
    pass


@transaction.atomic
def set_status(registration: Registration, to_status: str, *, by=None, reason: str = "", request=None) -> Registration:
    """Move a registration to `to_status`, keeping its history and the audit trail.

    Locks the row so that two people changing the same registration at once see each
    other's result instead of overwriting it.
    """
    locked = Registration.objects.select_for_update().get(pk=registration.pk)
    from_status = locked.status
    if to_status == from_status:
        return locked
    if to_status not in ALLOWED[from_status]:
        raise InvalidTransition(f"A registration that is {from_status} cannot become {to_status}.")
    locked.status = to_status
    locked.status_changed_at = timezone.now()
    locked.save(update_fields=["status", "status_changed_at"])
    RegistrationStatusChange.objects.create(
        registration=locked, from_status=from_status, to_status=to_status, by=by, reason=reason[:300]
    )
    audit.record(
        user=by, action="status", obj=locked, request=request, reason=reason,
        summary=f"{from_status} → {to_status}", changes={"status": [from_status, to_status]},
    )
    registration.status, registration.status_changed_at = locked.status, locked.status_changed_at
    return locked
