"""One patient at a time: added to a panel (fee code 98990) or removed from it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from attachment.core import audit
from patients.identity import same_person
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

    A patient already on another panel is not moved, and a PHN the registry knows under another
    name or date of birth is not added (nor is the registry's record changed): either claim goes
    to the coordinators, and the clinic is told only that it needs their review.
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
    mismatch = not created and not same_person(
        patient, first_name=first_name.strip(), last_name=last_name.strip(), date_of_birth=date_of_birth)
    result = AddResult()
    current = PanelEntry.objects.filter(patient=patient, ended_at__isnull=True).first()
    if current and current.provider_id == provider.pk and not mismatch:
        raise PanelError({"phn": "This patient is already on this panel."})
    if mismatch or current:
        result.conflict, _ = PanelConflict.objects.get_or_create(
            patient=patient, claiming_provider=provider, resolved_at__isnull=True,
            defaults={
                "kind": PanelConflict.Kind.IDENTITY if mismatch else PanelConflict.Kind.PANEL,
                "existing_entry": current if current and current.provider_id != provider.pk else None,
                "claimed_first_name": first_name.strip(), "claimed_last_name": last_name.strip(),
                "claimed_date_of_birth": date_of_birth,
            },
        )
        audit.record(user=by, action="create", obj=result.conflict, actor=actor,
                     summary=f"Claim by {provider} sent to coordinators: "
                     + ("name or date of birth differ from the registry's" if mismatch else "patient is on another panel"))
        if mismatch:
            return result  # trusted for nothing until a coordinator decides: no waitlist flag either
    else:
        result.entry = PanelEntry.objects.create(
            patient=patient, provider=provider, since=timezone.localdate(),
            source=PanelEntry.Source.FEE_CODE, created_by=by if getattr(by, "is_authenticated", False) else None,
        )
        audit.record(user=by, action="create", obj=result.entry, actor=actor,
                     summary=f"Added to the panel of {provider} (98990)")
    registration = patient.registration
    # The coordinators are told; the clinic is not (whether someone waits is not theirs to learn).
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
