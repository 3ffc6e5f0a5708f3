"""Pages of MDT meetings: the PCN's meetings, scheduling one, and one meeting's agenda, attendance,
outcomes and actions. Care coordinators of the meeting's PCN only; audited."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from attachment.core import access, audit, errors, roles
from care import mdt
from care.services import CareError
from care.transition_forms import ActionForm, AgendaForm, AttendanceForm, MeetingForm, OutcomeForm
from care.views import COORDINATOR_ONLY


@roles.role_required(*COORDINATOR_ONLY)
def meetings(request):
    pcns = access.care_pcns(request.user)
    form = MeetingForm(request.POST or None, pcns=pcns, initial={"pcn": pcns.first()})
    if request.method == "POST" and form.is_valid():
        try:
            meeting = mdt.schedule_meeting(actor=request.actor, **form.cleaned_data)
        except CareError as exc:
            errors.to_form(form, exc)
        else:
            messages.success(request, f"Meeting scheduled: {meeting.title}.")
            return redirect("care:mdt_meeting", pk=meeting.pk)
    rows = list(access.mdt_meetings(request.user).select_related("pcn").order_by("-meets_at")[:50])
    audit.record(action="view", object_type="care.MdtMeeting", actor=request.actor, summary="MDT meetings")
    return render(request, "care/mdt_list.html", {"form": form, "rows": rows, "now": timezone.now()},
                  status=400 if form.errors else 200)


@roles.role_required(*COORDINATOR_ONLY)
def meeting(request, pk):
    found = access.mdt_meeting_to_act_for(request.user, pk)
    agenda_form = AgendaForm(request.POST if request.POST.get("form") == "agenda" else None)
    attendance_form = AttendanceForm(request.POST if request.POST.get("form") == "attendance" else None,
                                     initial={"attendees": found.attendees})
    if request.method == "POST":
        try:
            if agenda_form.is_bound and agenda_form.is_valid():
                patient = mdt.find_on_caseload(request.user, found, agenda_form.cleaned_data["patient"])
                mdt.add_to_agenda(found, patient, reason=agenda_form.cleaned_data["reason"], actor=request.actor)
                messages.success(request, f"{patient.first_name} {patient.last_name} is on the agenda.")
                return redirect("care:mdt_meeting", pk=found.pk)
            if attendance_form.is_bound and attendance_form.is_valid():
                mdt.record_attendance(found, attendees=attendance_form.cleaned_data["attendees"], actor=request.actor)
                messages.success(request, "Attendance recorded.")
                return redirect("care:mdt_meeting", pk=found.pk)
        except CareError as exc:
            errors.to_form(agenda_form if agenda_form.is_bound else attendance_form, exc)
    items = mdt.agenda(found, request.user)
    audit.record(action="view", obj=found, actor=request.actor,
                 summary=f"MDT meeting with {len(items)} patients on the agenda")
    return render(request, "care/mdt_meeting.html", {
        "meeting": found, "items": items, "agenda_form": agenda_form, "attendance_form": attendance_form,
    }, status=400 if request.method == "POST" else 200)


@roles.role_required(*COORDINATOR_ONLY)
def item(request, pk):
    found = access.mdt_item_to_act_for(request.user, pk)
    outcome_form = OutcomeForm(request.POST if request.POST.get("form") == "outcome" else None,
                               initial={"outcome": found.outcome})
    action_form = ActionForm(request.POST if request.POST.get("form") == "action" else None,
                             colleagues=access.care_colleagues(request.user),
                             initial={"due_on": timezone.localdate() + timezone.timedelta(days=7),
                                      "assigned_to": request.user.pk})
    if request.method == "POST":
        try:
            if outcome_form.is_bound and outcome_form.is_valid():
                mdt.record_outcome(found, outcome=outcome_form.cleaned_data["outcome"], actor=request.actor)
                messages.success(request, "Outcome recorded.")
                return redirect("care:mdt_item", pk=found.pk)
            if action_form.is_bound and action_form.is_valid():
                task = mdt.add_action(found, actor=request.actor, **action_form.cleaned_data)
                messages.success(request, f"Action added to the worklist: {task.title}.")
                return redirect("care:mdt_item", pk=found.pk)
        except CareError as exc:
            errors.to_form(outcome_form if outcome_form.is_bound else action_form, exc)
    audit.record(action="view", obj=found.patient, actor=request.actor,
                 summary=f"MDT agenda item of meeting {found.meeting_id}")
    return render(request, "care/mdt_item.html", {
        "item": found, "meeting": found.meeting, "patient": found.patient, "actions": mdt.actions_of(found),
        "outcome_form": outcome_form, "action_form": action_form,
    }, status=400 if request.method == "POST" else 200)
