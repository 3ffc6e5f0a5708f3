"""Pages of pre-visit planning and the provider's side: plan a visit, work its checklist, the
one-page summary the provider reads, the provider's own care tasks, and the printable plan.
Scope from `access`; every page of a person is audited."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from attachment.core import access, audit, errors, roles
from care import pvp, selectors, services
from care.models import PlannedVisit
from care.services import CareError
from care.transition_forms import PlanVisitForm, PvpItemForm, PvpNoteForm
from care.views import CARE_ROLES, COORDINATOR_ONLY, _form_page, _viewed

PROVIDER_SIDE = (roles.PROVIDER, roles.MOA, roles.CLINIC_LEAD)


@roles.role_required(*COORDINATOR_ONLY)
def visit_new(request, pk):
    person = access.care_patient_to_read(request.user, pk)
    form = PlanVisitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            visit = pvp.plan_visit(person, actor=request.actor, **form.cleaned_data)
        except CareError as exc:
            errors.to_form(form, exc)
        else:
            messages.success(request, f"Visit of {visit.visit_on:%Y-%m-%d} with {visit.provider} to plan.")
            return redirect("care:visit", pk=visit.pk)
    return _form_page(request, "care/form.html", person, form, title="Plan a visit (pre-visit planning)",
                      button="Plan the visit", status=400 if form.errors else 200)


@roles.role_required(*COORDINATOR_ONLY)
def visit(request, pk):
    planned = access.visit_to_read(request.user, pk)
    status = 200
    item_form, note_form = None, PvpNoteForm()
    if request.method == "POST":
        try:
            if "text" in request.POST:
                note_form = PvpNoteForm(request.POST)
                if note_form.is_valid():
                    pvp.log_note(planned, text=note_form.cleaned_data["text"], actor=request.actor)
                    messages.success(request, "Added to the PVP log.")
                    return redirect("care:visit", pk=planned.pk)
            else:
                item_form = PvpItemForm(request.POST)
                if item_form.is_valid():
                    pvp.update_item(planned, actor=request.actor, **item_form.cleaned_data)
                    messages.success(request, f"Checklist: {pvp.ITEM_LABELS[item_form.cleaned_data['item']]} saved.")
                    return redirect("care:visit", pk=planned.pk)
        except CareError as exc:
            errors.flash(request, exc)
        status = 400
    _viewed(request, planned.patient, f"Pre-visit planning of the visit on {planned.visit_on:%Y-%m-%d}")
    return render(request, "care/visit.html", {
        "visit": planned, "patient": planned.patient, "checklist": pvp.checklist_rows(planned),
        "log": planned.log.select_related("by")[:50], "note_form": note_form, "item_form": item_form,
    }, status=status)


@require_POST
@roles.role_required(*COORDINATOR_ONLY)
def visit_cancel(request, pk):
    planned = access.visit_to_read(request.user, pk)
    try:
        pvp.cancel_visit(planned, actor=request.actor)
    except CareError as exc:
        errors.flash(request, exc)
    else:
        messages.success(request, "Planned visit cancelled.")
    return redirect("care:patient", pk=planned.patient_id)


@roles.role_required(*CARE_ROLES)
def visit_summary(request, pk):
    planned = access.visit_to_read(request.user, pk)
    _viewed(request, planned.patient, f"PVP summary for the visit on {planned.visit_on:%Y-%m-%d}")
    return render(request, "care/visit_summary.html", pvp.summary(planned))


@roles.role_required(*PROVIDER_SIDE)
def my_panel(request):
    """The provider's side of care coordination: visits to plan and tasks for the providers the user acts for."""
    today = timezone.localdate()
    visits = list(PlannedVisit.objects.filter(provider__in=access.acting_providers(request.user),
                                              patient__in=access.care_profile_patients(request.user),
                                              cancelled_at__isnull=True, visit_on__gte=today)
                  .select_related("patient", "provider").order_by("visit_on", "id")[:100])
    tasks = list(access.provider_care_tasks(request.user).filter(done_at__isnull=True)
                 .select_related("patient", "provider").order_by("due_on", "id")[:100])
    audit.record(action="view", object_type="care.PlannedVisit", actor=request.actor,
                 summary=f"Provider's care page: {len(visits)} visits to plan, {len(tasks)} tasks")
    return render(request, "care/my_panel.html", {"visits": visits, "tasks": tasks, "today": today})


@require_POST
@roles.role_required(*PROVIDER_SIDE)
def provider_task_done(request, pk):
    task = access.provider_task_to_act_for(request.user, pk)
    try:
        services.complete_task(task, actor=request.actor)
    except CareError as exc:
        errors.flash(request, exc)
    else:
        messages.success(request, f"Done: {task.title}.")
    return redirect("care:my_panel")


@roles.role_required(*CARE_ROLES)
def plan_print(request, pk):
    """The care and support plan in plain language, for the patient: it prints without the site around it."""
    person = access.care_patient_to_read(request.user, pk)
    record = selectors.patient_record(person)
    if record["latest"] is None:
        messages.error(request, "There is no care plan to print yet.")
        return redirect("care:patient", pk=person.pk)
    _viewed(request, person, f"Care plan version {record['latest'].number} printed for the patient")
    return render(request, "care/plan_print.html", {**record, "printed_on": timezone.localdate()})
