"""One patient at a time: added to a panel (fee code 98990) or removed from it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from attachment.core import audit
from patients.models import Patient, Registration
from providers.models import Provider
from registries.models import PanelConflict, PanelEntry, WaitlistFlag
from registries.panels import PanelError
from registries.phn import normalize_phn, phn_error


@dataclass
class AddResult:
    entry: PanelEntry | None = None
    conflict: PanelConflict | None = None
    flagged: bool = False


@transaction.atomic
def add_patient(
    provider: Provider,
    *,
    phn: str,
    first_name: str,
    last_name: str,
    date_of_birth: datetime.date,
    gender: str = "",
    postal_code: str = "",
    by=None,
    actor=None,
) -> AddResult:
    """Add one patient to a panel as the 98990 attachment code does.

    A patient already on another panel is not moved: the claim goes to the coordinators.
    """
    phn = normalize_phn(phn)
    reason = phn_error(phn)
    if reason:
        raise PanelError({"phn": reason})
    patient, created = Patient.objects.get_or_create(
        phn=phn,
        defaults={
            "first_name": first_name, "last_name": last_name, "date_of_birth": date_of_birth,
            "gender": gender, "postal_code": postal_code,
        },
    )
    # Serialises two people adding the same person at once.
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if not created and patient.date_of_birth != date_of_birth:
        raise PanelError({"date_of_birth": "The date of birth does not match the registry's record for this PHN."})
    result = AddResult()
    current = PanelEntry.objects.filter(patient=patient, ended_at__isnull=True).first()
    if current and current.provider_id == provider.pk:
        raise PanelError({"phn": "This patient is already on this panel."})
    if current:
        result.conflict, _ = PanelConflict.objects.get_or_create(
            patient=patient, claiming_provider=provider, resolved_at__isnull=True,
            defaults={"existing_entry": current},
        )
        audit.record(user=by, action="create", obj=result.conflict, actor=actor,
                     summary=f"Claim by {provider} sent to coordinators: patient is on another panel")
    else:
        result.entry = PanelEntry.objects.create(
            patient=patient, provider=provider, since=timezone.localdate(),
            source=PanelEntry.Source.FEE_CODE, created_by=by if getattr(by, "is_authenticated", False) else None,
        )
        audit.record(user=by, action="create", obj=result.entry, actor=actor,
                     summary=f"Added to the panel of {provider} (98990)")
    registration = patient.registration
    if registration and registration.status in Registration.OPEN_STATUSES:
        _, result.flagged = WaitlistFlag.objects.get_or_create(
            patient=patient, provider=provider, resolved_at__isnull=True,
            defaults={"registration": registration, "division_id": registration.division_id},
        )
    return result


@transaction.atomic
def remove_patient(entry: PanelEntry, *, reason: str, by=None, actor=None) -> PanelEntry:
    """End a panel entry; it is kept, with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise PanelError({"reason": "Say why the patient leaves the panel."})
    entry = PanelEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.ended_at is not None:
        raise PanelError("This patient has already left the panel.")
    entry.ended_at = timezone.now()
    entry.end_reason = reason[:200]
    entry.save(update_fields=["ended_at", "end_reason"])
    audit.record(user=by, action="update", obj=entry, actor=actor, reason=reason,
                 summary=f"Removed from the panel of {entry.provider}")
    return entry
