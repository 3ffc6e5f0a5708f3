"""Pages of hospital stays: record an admission, the discharge, the summary's arrival, close the stay.
Coordinators only; the stay is looked up in scope (404 outside); each page and change is audited."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from attachment.core import access, errors, roles
from care import hospital
from care.services import CareError
from care.transition_forms import AdmissionForm, CloseStayForm, DischargeFromHospitalForm
from care.views import COORDINATOR_ONLY, _form_page


@roles.role_required(*COORDINATOR_ONLY)
def admit(request, pk):
    person = access.care_patient_to_read(request.user, pk)
    form = AdmissionForm(request.POST or None, initial={"admitted_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            stay = hospital.record_admission(person, actor=request.actor, **form.cleaned_data)
        except CareError as exc:
            errors.to_form(form, exc)
        else:
            messages.success(request, f"Admission to {stay.hospital} recorded; the call to the family is on the worklist.")
            return redirect("care:patient", pk=person.pk)
    return _form_page(request, "care/form.html", person, form, title="Record a hospital admission",
                      button="Record the admission", status=400 if form.errors else 200)


@roles.role_required(*COORDINATOR_ONLY)
def discharge(request, pk):
    stay = access.stay_to_act_for(request.user, pk)
    form = DischargeFromHospitalForm(request.POST or None, initial={"discharged_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            hospital.record_discharge(stay, actor=request.actor, **form.cleaned_data)
        except CareError as exc:
            errors.to_form(form, exc)
        else:
            messages.success(request, "Discharge recorded; the follow-up call and appointment are on the worklist.")
            return redirect("care:patient", pk=stay.patient_id)
    return _form_page(request, "care/form.html", stay.patient, form,
                      title=f"Record the discharge from {stay.hospital} (admitted {stay.admitted_on:%Y-%m-%d})",
                      button="Record the discharge", status=400 if form.errors else 200)


@require_POST
@roles.role_required(*COORDINATOR_ONLY)
def summary_received(request, pk):
    stay = access.stay_to_act_for(request.user, pk)
    try:
        hospital.record_summary_received(stay, actor=request.actor)
    except CareError as exc:
        errors.flash(request, exc)
    else:
        messages.success(request, "Discharge summary received; the provider has a task to read it.")
    return redirect("care:patient", pk=stay.patient_id)


@roles.role_required(*COORDINATOR_ONLY)
def close(request, pk):
    stay = access.stay_to_act_for(request.user, pk)
    form = CloseStayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            hospital.close_stay(stay, reason=form.cleaned_data["reason"], actor=request.actor)
        except CareError as exc:
            errors.to_form(form, exc)
        else:
            messages.success(request, "Stay closed; its open tasks are closed with it.")
            return redirect("care:patient", pk=stay.patient_id)
    return _form_page(request, "care/form.html", stay.patient, form, title=f"Close the stay at {stay.hospital}",
                      button="Close the stay", status=400 if form.errors else 200)
