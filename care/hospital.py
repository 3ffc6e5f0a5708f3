"""Hospital stays and transitions home: record an admission, the discharge, the summary's
arrival, and close the stay. Each change is one transaction, audited in it, and runs the
hospital task rules (care.generator) for that one patient, so the daily call or the
follow-ups are on the worklist at once rather than at the next beat.

Dates that contradict each other or the calendar (a discharge before its admission, a date
in the future, before the patient was born) are refused with the field they are about.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from attachment.core import audit
from care import generator
from care.models import HospitalStay
from care.services import CareError, _locked_patient, _pcn_for, _reason, _user

# An admission typed more than a year back is more likely a mistyped year.
MAX_ADMISSION_AGE_DAYS = 366


def _date(value, field: str, what: str, *, patient, today: datetime.date, not_before=None, before_label=""):
    if not isinstance(value, datetime.date):
        raise CareError({field: f"Give the date of the {what}."})
    if value > today:
        raise CareError({field: f"The date of the {what} cannot be in the future."})
    if value < patient.date_of_birth:
        raise CareError({field: "The date is before the patient was born."})
    if not_before is not None and value < not_before:
        raise CareError({field: f"The {what} cannot be before {before_label} ({not_before:%Y-%m-%d})."})
    return value


def _text(value, field: str, what: str, limit: int = 200) -> str:
    value = (value or "").strip()
    if not value:
        raise CareError({field: f"Give {what}."})
    if len(value) > limit:
        raise CareError({field: f"Keep it under {limit} characters."})
    return value


def _run_rules(patient, actor, today):
    generator.run_for_patient(generator.HOSPITAL_RULES, patient.pk, actor=actor, today=today)


@transaction.atomic
def record_admission(patient, *, hospital: str, admitted_on, reason: str, actor, today=None, now=None) -> HospitalStay:
    """The patient is in hospital: where, since when, why. The first call to the family is due today."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    errors = {}
    for check in (lambda: _text(hospital, "hospital", "the hospital"),
                  lambda: _text(reason, "reason", "the reason for the admission", 300),
                  lambda: _date(admitted_on, "admitted_on", "admission", patient=patient, today=today)):
        try:
            check()
        except CareError as exc:
            errors.update(exc.message_dict)
    if not errors and (today - admitted_on).days > MAX_ADMISSION_AGE_DAYS:
        errors["admitted_on"] = "The admission is more than a year ago: check the year."
    if errors:
        raise CareError(errors)
    patient = _locked_patient(patient)
    current = HospitalStay.objects.filter(patient=patient, closed_at__isnull=True).first()
    if current is not None:
        state = "in hospital" if current.in_hospital else "discharged, follow-up open"
        raise CareError(f"{patient.first_name} {patient.last_name} already has an open stay at {current.hospital}"
                        f" (admitted {current.admitted_on:%Y-%m-%d}, {state}): record its discharge or close it first.")
    pcn = _pcn_for(patient, actor)
    if pcn is None:
        raise CareError("The patient is not on the panel of a provider at a clinic in a PCN.")
    stay = HospitalStay.objects.create(
        patient=patient, pcn=pcn, hospital=hospital.strip(), admitted_on=admitted_on, reason=reason.strip(),
        recorded_by=_user(actor), recorded_at=now,
    )
    audit.record(action="create", obj=stay, actor=actor,
                 summary=f"Admission of patient {patient.pk} to {stay.hospital} on {admitted_on:%Y-%m-%d}",
                 reason=stay.reason)
    _run_rules(patient, actor, today)
    return stay


def _locked_stay(stay) -> HospitalStay:
    return HospitalStay.objects.select_for_update().select_related("patient").get(pk=stay.pk)


@transaction.atomic
def record_discharge(stay: HospitalStay, *, discharged_on, summary_received: bool = False, note: str = "",
                     actor, today=None) -> HospitalStay:
    """Home from hospital: the follow-up call, the appointment and the summary become tasks."""
    today = today or timezone.localdate()
    stay = _locked_stay(stay)
    if stay.closed_at is not None:
        raise CareError("This stay is closed.")
    if stay.discharged_on is not None:
        raise CareError(f"The discharge was already recorded ({stay.discharged_on:%Y-%m-%d}).")
    _date(discharged_on, "discharged_on", "discharge", patient=stay.patient, today=today,
          not_before=stay.admitted_on, before_label="the admission")
    note = (note or "").strip()
    if len(note) > 500:
        raise CareError({"note": "Keep the note under 500 characters."})
    stay.discharged_on, stay.discharged_by, stay.discharge_note = discharged_on, _user(actor), note
    if summary_received:
        stay.summary_received, stay.summary_received_on = True, today
    stay.save(update_fields=["discharged_on", "discharged_by", "discharge_note", "summary_received",
                             "summary_received_on"])
    audit.record(action="update", obj=stay, actor=actor,
                 summary=f"Discharge of patient {stay.patient_id} from {stay.hospital} on {discharged_on:%Y-%m-%d}"
                         f" (summary {'received' if summary_received else 'not received'})",
                 changes={"discharged_on": [None, discharged_on.isoformat()]})
    _run_rules(stay.patient, actor, today)
    return stay


@transaction.atomic
def record_summary_received(stay: HospitalStay, *, actor, today=None) -> HospitalStay:
    """The discharge summary came: the task to get it closes, the provider's task to read it opens."""
    today = today or timezone.localdate()
    stay = _locked_stay(stay)
    if stay.closed_at is not None:
        raise CareError("This stay is closed.")
    if stay.discharged_on is None:
        raise CareError("Record the discharge first.")
    if stay.summary_received:
        raise CareError(f"The summary was already received ({stay.summary_received_on:%Y-%m-%d}).")
    stay.summary_received, stay.summary_received_on = True, today
    stay.save(update_fields=["summary_received", "summary_received_on"])
    audit.record(action="update", obj=stay, actor=actor, summary=f"Discharge summary received for patient {stay.patient_id}",
                 changes={"summary_received": [False, True]})
    _run_rules(stay.patient, actor, today)
    return stay


@transaction.atomic
def close_stay(stay: HospitalStay, *, reason: str, actor, now=None) -> HospitalStay:
    """The transition is over (or the stay was recorded in error): its open tasks close with it."""
    now = now or timezone.now()
    reason = _reason(reason, "reason", "the reason for closing the stay")
    stay = _locked_stay(stay)
    if stay.closed_at is not None:
        raise CareError("This stay is already closed.")
    stay.closed_at, stay.closed_by, stay.close_reason = now, _user(actor), reason
    stay.save(update_fields=["closed_at", "closed_by", "close_reason"])
    audit.record(action="update", obj=stay, actor=actor, summary=f"Hospital stay of patient {stay.patient_id} closed",
                 reason=reason)
    _run_rules(stay.patient, actor, timezone.localdate(now))
    return stay


def stays_of(patient) -> list[HospitalStay]:
    return list(HospitalStay.objects.filter(patient=patient).select_related("recorded_by", "closed_by")
                .order_by("-admitted_on", "-id")[:20])

