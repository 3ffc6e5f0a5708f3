"""Pre-visit planning: for a patient whose provider said their visits need it (CareProfile.needs_pvp),
an upcoming visit gets a checklist (the PVP call, labs, discharge summaries, specialist letters,
the family's latest concerns, health maintenance due) and a log of each step; the provider reads
a one-page summary before the visit; the reminder task comes CARE_PVP_REMINDER_DAYS ahead
(care.generator.pvp_reminders), and closes once the checklist is complete.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from attachment.core import audit
from care import generator, selectors
from care.hospital import stays_of
from care.models import PVP_ITEMS, CareProfile, Contact, PlannedVisit, PvpLogEntry, Task
from care.services import CareError, _locked_patient, _pcn_for, _user
from registries.models import PanelEntry

ITEM_LABELS = dict(PVP_ITEMS)
MAX_AHEAD_DAYS = 366


def _run_rule(patient, actor, today=None):
    generator.run_for_patient([generator.pvp_reminders], patient.pk, actor=actor, today=today)


def panel_provider(patient):
    entry = PanelEntry.objects.filter(patient=patient, ended_at__isnull=True).select_related("provider").first()
    return entry.provider if entry else None


@transaction.atomic
def plan_visit(patient, *, visit_on, purpose: str = "", actor, today=None, now=None) -> PlannedVisit:
    """Plan the patient's coming visit with their own provider: its checklist starts empty."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    if not isinstance(visit_on, datetime.date):
        raise CareError({"visit_on": "Give the date of the visit."})
    if visit_on < today:
        raise CareError({"visit_on": "The visit is in the past: plan a coming visit."})
    if (visit_on - today).days > MAX_AHEAD_DAYS:
        raise CareError({"visit_on": "The visit is more than a year away: check the year."})
    purpose = (purpose or "").strip()
    if len(purpose) > 200:
        raise CareError({"purpose": "Keep the purpose under 200 characters."})
    patient = _locked_patient(patient)
    profile = CareProfile.objects.filter(patient=patient).first()
    if profile is None or not profile.needs_pvp:
        raise CareError("The patient's provider has not said their visits need pre-visit planning.")
    provider = panel_provider(patient)
    pcn = _pcn_for(patient, actor)
    if provider is None or pcn is None:
        raise CareError("The patient is not on the panel of a provider at a clinic in a PCN.")
    if PlannedVisit.objects.filter(patient=patient, visit_on=visit_on, cancelled_at__isnull=True).exists():
        raise CareError({"visit_on": f"A visit on {visit_on:%Y-%m-%d} is already being planned."})
    visit = PlannedVisit.objects.create(patient=patient, provider=provider, pcn=pcn, visit_on=visit_on,
                                        purpose=purpose, created_at=now, created_by=_user(actor))
    audit.record(action="create", obj=visit, actor=actor,
                 summary=f"Visit of patient {patient.pk} with {provider} on {visit_on:%Y-%m-%d} to plan")
    _run_rule(patient, actor, today)
    return visit


@transaction.atomic
def update_item(visit: PlannedVisit, *, item: str, done: bool, note: str = "", actor, now=None) -> PlannedVisit:
    """Tick (or untick) one checklist item with what was found; the step goes in the PVP log."""
    now = now or timezone.now()
    if item not in ITEM_LABELS:
        raise CareError({"item": "Choose an item of the checklist."})
    note = (note or "").strip()
    if len(note) > 1000:
        raise CareError({"note": "Keep the note under 1,000 characters."})
    if done and not note and item in ("family_concerns", "pvp_call"):
        raise CareError({"note": "Say what the family told you."})
    visit = PlannedVisit.objects.select_for_update().select_related("patient").get(pk=visit.pk)
    if visit.cancelled_at is not None:
        raise CareError("This visit was cancelled.")
    user = _user(actor)
    before = visit.item(item)
    visit.checklist = {**visit.checklist, item: {"done": bool(done), "note": note,
                                                 "by": user.get_username() if user else "", "at": now.isoformat()}}
    visit.save(update_fields=["checklist"])
    PvpLogEntry.objects.create(visit=visit, item=item, at=now, by=user,
                               text=f"{ITEM_LABELS[item]}: {'done' if done else 'not done'}" + (f". {note}" if note else ""))
    audit.record(action="update", obj=visit, actor=actor, summary=f"PVP checklist: {ITEM_LABELS[item]}",
                 changes={item: [bool(before.get("done")), bool(done)]})
    _run_rule(visit.patient, actor, timezone.localdate(now))
    return visit


@transaction.atomic
def log_note(visit: PlannedVisit, *, text: str, actor, now=None) -> PvpLogEntry:
    now = now or timezone.now()
    text = (text or "").strip()
    if not text:
        raise CareError({"text": "Write what was done."})
    if len(text) > 1000:
        raise CareError({"text": "Keep it under 1,000 characters."})
    entry = PvpLogEntry.objects.create(visit=visit, item="note", text=text, at=now, by=_user(actor))
    audit.record(action="create", obj=entry, actor=actor, summary=f"PVP log of visit {visit.pk}")
    return entry


@transaction.atomic
def cancel_visit(visit: PlannedVisit, *, actor, now=None) -> PlannedVisit:
    now = now or timezone.now()
    visit = PlannedVisit.objects.select_for_update().select_related("patient").get(pk=visit.pk)
    if visit.cancelled_at is not None:
        raise CareError("This visit is already cancelled.")
    visit.cancelled_at = now
    visit.save(update_fields=["cancelled_at"])
    audit.record(action="update", obj=visit, actor=actor, summary=f"Planned visit of {visit.visit_on:%Y-%m-%d} cancelled")
    _run_rule(visit.patient, actor, timezone.localdate(now))
    return visit


def checklist_rows(visit: PlannedVisit) -> list[dict]:
    return [{"code": code, "label": label, **visit.item(code)} for code, label in PVP_ITEMS]


def summary(visit: PlannedVisit, *, today=None) -> dict:
    """What the provider reads before the visit, on one page."""
    today = today or timezone.localdate()
    patient = visit.patient
    record = selectors.patient_record(patient, today=today)
    year_ago = today - datetime.timedelta(days=365)
    return {
        "visit": visit,
        "patient": patient,
        "age": record["age"],
        "profile": record["profile"],
        "risk": record["risk"],
        "checklist": checklist_rows(visit),
        "log": list(visit.log.select_related("by")[:20]),
        "stays": [s for s in stays_of(patient) if (s.discharged_on or today) >= year_ago],
        "latest": record["latest"],
        "latest_lines": record["latest_lines"],
        "open_enrolments": record["open_enrolments"],
        "contacts": list(Contact.objects.filter(patient=patient).select_related("by").order_by("-contacted_on", "-id")[:5]),
        "open_tasks": list(Task.objects.filter(patient=patient, done_at__isnull=True).order_by("due_on")[:10]),
    }


def upcoming_for(patient):
    return list(PlannedVisit.objects.filter(patient=patient, cancelled_at__isnull=True,
                                            visit_on__gte=timezone.localdate()).select_related("provider"))


def transitions_of(patient) -> dict:
    """What the patient's care record shows of hospital stays and visits to plan."""
    return {"stays": stays_of(patient), "visits": upcoming_for(patient)}
