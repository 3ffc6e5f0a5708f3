"""Coordinators' review: panel conflicts resolved, waitlist flags cleared."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from attachment.core import audit
from registries.models import PanelConflict, PanelEntry, WaitlistFlag
from registries.panels import PanelError


@transaction.atomic
def resolve_conflict(conflict: PanelConflict, *, resolution: str, note: str = "", by=None, actor=None) -> PanelConflict:
    conflict = PanelConflict.objects.select_for_update().select_related("claiming_provider").get(pk=conflict.pk)
    if conflict.resolved_at:
        raise PanelError("This conflict has already been resolved.")
    allowed = IDENTITY_RESOLUTIONS if conflict.kind == PanelConflict.Kind.IDENTITY else PANEL_RESOLUTIONS
    if resolution not in allowed:
        raise PanelError({"resolution": "Choose how to resolve the conflict."})
    follow_up = None
    if resolution == PanelConflict.Resolution.CONFIRMED:
        # The same person: the claim goes ahead as any claim does (the registry's details are kept).
        current = PanelEntry.objects.select_for_update().filter(patient_id=conflict.patient_id, ended_at__isnull=True).first()
        if current is None:
            PanelEntry.objects.create(
                patient_id=conflict.patient_id, provider=conflict.claiming_provider, since=timezone.localdate(),
                source=PanelEntry.Source.UPLOAD if conflict.upload_id else PanelEntry.Source.FEE_CODE,
                last_visit=conflict.claimed_last_visit, created_by=by,
            )
        elif current.provider_id != conflict.claiming_provider_id:
            follow_up = PanelConflict(
                kind=PanelConflict.Kind.PANEL, patient_id=conflict.patient_id, existing_entry=current,
                claiming_provider=conflict.claiming_provider, upload=conflict.upload,
                claimed_last_visit=conflict.claimed_last_visit, claimed_first_name=conflict.claimed_first_name,
                claimed_last_name=conflict.claimed_last_name, claimed_date_of_birth=conflict.claimed_date_of_birth,
            )
    if resolution == PanelConflict.Resolution.MOVED:
        existing = PanelEntry.objects.select_for_update().get(pk=conflict.existing_entry_id)
        if existing.ended_at is None:
            existing.ended_at = timezone.now()
            existing.end_reason = f"Moved to {conflict.claiming_provider} (panel conflict resolved)"[:200]
            existing.save(update_fields=["ended_at", "end_reason"])
        elif PanelEntry.objects.filter(patient_id=conflict.patient_id, ended_at__isnull=True).exists():
            raise PanelError("The patient is on another panel now; this conflict is out of date.")
        PanelEntry.objects.create(
            patient_id=conflict.patient_id, provider=conflict.claiming_provider, since=timezone.localdate(),
            source=PanelEntry.Source.UPLOAD if conflict.upload_id else PanelEntry.Source.FEE_CODE,
            last_visit=conflict.claimed_last_visit, created_by=by,
        )
    conflict.resolution = resolution
    conflict.resolution_note = (note or "")[:300]
    conflict.resolved_at = timezone.now()
    conflict.resolved_by = by
    conflict.save(update_fields=["resolution", "resolution_note", "resolved_at", "resolved_by"])
    audit.record(user=by, action="update", obj=conflict, actor=actor, reason=note,
                 summary=f"Panel conflict resolved: {conflict.get_resolution_display()}")
    if follow_up is not None:
        # On another provider's panel as well: which panel is the next decision.
        follow_up.save()
        audit.record(user=by, action="create", obj=follow_up, actor=actor,
                     summary="Identity confirmed; the patient is on another panel: sent on as a panel conflict")
    return conflict


PANEL_RESOLUTIONS = (PanelConflict.Resolution.KEEP_EXISTING, PanelConflict.Resolution.MOVED)
IDENTITY_RESOLUTIONS = (PanelConflict.Resolution.CONFIRMED, PanelConflict.Resolution.REJECTED)


@transaction.atomic
def resolve_flag(flag: WaitlistFlag, *, note: str = "", by=None, actor=None) -> WaitlistFlag:
    flag = WaitlistFlag.objects.select_for_update().get(pk=flag.pk)
    if flag.resolved_at:
        raise PanelError("This flag has already been reviewed.")
    flag.resolved_at = timezone.now()
    flag.resolved_by = by
    flag.resolution_note = (note or "")[:300]
    flag.save(update_fields=["resolved_at", "resolved_by", "resolution_note"])
    audit.record(user=by, action="update", obj=flag, actor=actor, reason=note,
                 summary="Waitlist flag from a panel upload reviewed")
    return flag
