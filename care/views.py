"""Pages of care coordination: caseload, candidates, worklist, a patient's care record and
its forms. Views are thin: who may use it, the record in scope (404 outside), parse, one
service call with `actor=request.actor`, render. Every page that shows a person is audited.
"""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from attachment.core import access, audit, errors, roles
from care import pvp, selectors, services
from care.forms import (
    ActionFormSet,
    AssignForm,
    CareProfileForm,
    CarerFormSet,
    CaseloadFilterForm,
    ContactForm,
    DischargeForm,
    EnrolForm,
    FindPatientForm,
    GoalFormSet,
    NeedLevelForm,
    PlanForm,
    TaskForm,
    WorklistFilterForm,
    filled_rows,
)
from care.models import CarePlanVersion

# Who works on care records: care coordinators (their PCNs), providers and their delegates
# (their own panels). Scope decides which patients; these roles only open the door.
CARE_ROLES = (roles.CARE_COORDINATOR, roles.PROVIDER, roles.MOA, roles.CLINIC_LEAD)
COORDINATOR_ONLY = (roles.CARE_COORDINATOR,)


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def _querystring(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _back(request, default):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def _viewed(request, patient, summary):
    audit.record(action="view", obj=patient, actor=request.actor, summary=summary)


# --- lists -----------------------------------------------------------------------------------


@roles.role_required(*CARE_ROLES)
def caseload(request):
    form = CaseloadFilterForm(request.GET or None)
    query = selectors.CaseloadQuery()
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        query = selectors.CaseloadQuery(q=d["q"].strip(), programme=d["programme"].pk if d["programme"] else None,
                                        need_level=d["need_level"])
    page = _page_number(request)
    rows, has_next = selectors.caseload(request.user, query, page=page)
    if query.q:
        audit.record(action="search", object_type="care.Enrolment", actor=request.actor,
                     summary=f"Caseload search: {query.q[:200]}")
    else:
        audit.record(action="view", object_type="care.Enrolment", actor=request.actor,
                     summary=f"Caseload page {page}: {request.GET.urlencode()[:200]}")
    return render(request, "care/caseload.html", {
        "form": form, "rows": rows, "page": page, "has_next": has_next, "querystring": _querystring(request),
        "pcns": list(access.care_pcns(request.user)), "first_row": (page - 1) * selectors.PAGE_SIZE + 1,
        "last_row": (page - 1) * selectors.PAGE_SIZE + len(rows),
    })


@roles.role_required(*CARE_ROLES)
def find(request):
    form = FindPatientForm(request.GET or None)
    found = []
    if form.is_bound and form.is_valid():
        found = selectors.find_patients(request.user, form.cleaned_data["q"])
        audit.record(action="search", object_type="patients.Patient", actor=request.actor,
                     summary=f"Care: find a patient: {form.cleaned_data['q'][:200]} ({len(found)} found)")
    return render(request, "care/find.html", {"form": form, "found": found})


@roles.role_required(*COORDINATOR_ONLY)
def candidates(request):
    everyone = selectors.candidates(request.user)
    page = _page_number(request)
    start = (page - 1) * selectors.PAGE_SIZE
    rows = everyone[start:start + selectors.PAGE_SIZE]
    audit.record(action="view", object_type="patients.Patient", actor=request.actor,
                 summary=f"Care candidates page {page} ({len(rows)} people)")
    return render(request, "care/candidates.html", {
        "rows": rows, "page": page, "has_next": len(everyone) > start + selectors.PAGE_SIZE, "total": len(everyone),
        "window_days": selectors.CANDIDATE_WINDOW_DAYS, "querystring": "",
    })


@roles.role_required(*COORDINATOR_ONLY)
def worklist(request):
    form = WorklistFilterForm(request.GET or None)
    query = selectors.WorklistQuery()
    if form.is_bound and form.is_valid():
        query = selectors.WorklistQuery(who=form.cleaned_data["who"] or "all",
                                        horizon_days=form.cleaned_data["horizon"] or 0)
    page = _page_number(request)
    rows, has_next = selectors.worklist(request.user, query, page=page)
    audit.record(action="view", object_type="care.Task", actor=request.actor,
                 summary=f"Care worklist page {page}: {request.GET.urlencode()[:200]}")
    return render(request, "care/worklist.html", {
        "form": form, "rows": rows, "page": page, "has_next": has_next, "querystring": _querystring(request),
        "today": timezone.localdate(),
    })


# --- one patient -----------------------------------------------------------------------------


@roles.role_required(*CARE_ROLES)
def patient(request, pk):
    person = access.care_patient_to_read(request.user, pk)
    _viewed(request, person, "Care record")
    context = selectors.patient_record(person)
    context.update(pvp.transitions_of(person))  # hospital stays and visits to plan (care.hospital, care.pvp)
    context.update({
        "can_coordinate": roles.has_role(request.user, roles.CARE_COORDINATOR),
        "can_profile": access.care_profile_patients(request.user).filter(pk=person.pk).exists(),
    })
    return render(request, "care/patient.html", context)


def _form_page(request, template, person, form, *, title, status=200, **extra):
    _viewed(request, person, title)
    return render(request, template, {"patient": person, "form": form, "title": title, **extra}, status=status)


@roles.role_required(*COORDINATOR_ONLY)
def enrol(request, pk):
    person = access.care_patient_to_read(request.user, pk)
    form = EnrolForm(request.POST or None, initial={"programme": request.GET.get("programme"),
                                                    "reason": request.GET.get("reason", "")[:300]})
    if request.method == "POST" and form.is_valid():
        try:
            services.enrol(person, actor=request.actor, **form.cleaned_data)
        except services.CareError as exc:
            errors.to_form(form, exc)
        else:
            messages.success(request, f"Enrolled in {form.cleaned_data['programme']}.")
            return redirect("care:patient", pk=person.pk)
    return _form_page(request, "care/form.html", person, form, title="Enrol in a programme",
                      button="Enrol", status=400 if form.errors else 200)


@roles.role_required(*COORDINATOR_ONLY)
def discharge(request, pk):
    enrolment = access.enrolment_to_act_for(request.user, pk)
    form = DischargeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.discharge(enrolment, reason=form.cleaned_data["reason"], actor=request.actor)
        except services.CareError as exc:
            errors.to_form(form, exc)
        else:
            messages.success(request, f"Discharged from {enrolment.programme}.")
            return redirect("care:patient", pk=enrolment.patient_id)
    return _form_page(request, "care/form.html", enrolment.patient, form,
                      title=f"Discharge from {enrolment.programme}", button="Discharge",
                      status=400 if form.errors else 200)


@roles.role_required(*COORDINATOR_ONLY)
def need_level(request, pk):
    enrolment = access.enrolment_to_act_for(request.user, pk)
    form = NeedLevelForm(request.POST or None, initial={"to_level": enrolment.need_level})
    if request.method == "POST" and form.is_valid():
        try:
            services.change_need_level(enrolment, actor=request.actor, **form.cleaned_data)
        except services.CareError as exc:
            errors.to_form(form, exc)
        else:
            messages.success(request, f"Need level is now {form.cleaned_data['to_level']}.")
            return redirect("care:patient", pk=enrolment.patient_id)
    return _form_page(request, "care/form.html", enrolment.patient, form,
                      title=f"Change the need level ({enrolment.programme}, now {enrolment.need_level})",
                      button="Change need level", status=400 if form.errors else 200)


@roles.role_required(*COORDINATOR_ONLY)
def contact(request, pk):
    person = access.care_patient_to_read(request.user, pk)
    task = None
    task_id = request.POST.get("task") or request.GET.get("task")
    if task_id and task_id.isdigit():
        task = access.task_to_act_for(request.user, int(task_id))
        if task.patient_id != person.pk or not task.is_open:
            task = None
    form = ContactForm(request.POST or None, initial={"contacted_on": timezone.localdate(), "minutes": 10,
                                                      "task": task.pk if task else None})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "task"}
        try:
            # The call and the task it answers are one step: both or neither.
            with transaction.atomic():
                services.log_contact(person, actor=request.actor, **data)
                if task is not None and request.POST.get("complete_task"):
                    services.complete_task(task, actor=request.actor)
        except services.CareError as exc:
            errors.to_form(form, exc)
        else:
            messages.success(request, "Contact logged." + (" Task done." if task and request.POST.get("complete_task") else ""))
            return _back(request, reverse("care:patient", args=[person.pk]))
    return _form_page(request, "care/contact_form.html", person, form, title="Log a contact", task=task,
                      next=request.GET.get("next", request.POST.get("next", "")),
                      status=400 if form.errors else 200)


# --- care plan ---------------------------------------------------------------------------------


def _plan_initial(latest):
    if latest is None:
        return {}, [], [], []
    return ({"what_matters": latest.what_matters, "review_date": latest.review_date},
            [{**g, "target_date": g.get("target_date") or None} for g in latest.goals],
            [{**a, "due": a.get("due") or None} for a in latest.actions], list(latest.carers))


@roles.role_required(*COORDINATOR_ONLY)
def plan_edit(request, pk):
    person = access.care_patient_to_read(request.user, pk)
    latest = CarePlanVersion.objects.filter(plan__patient=person).order_by("-number").first()
    initial, goals, actions, carers = _plan_initial(latest)
    data = request.POST if request.method == "POST" else None
    form = PlanForm(data, initial=initial)
    goal_set = GoalFormSet(data, initial=goals, prefix="goals")
    action_set = ActionFormSet(data, initial=actions, prefix="actions")
    carer_set = CarerFormSet(data, initial=carers, prefix="carers")
    plan_errors = []
    if request.method == "POST" and all([form.is_valid(), goal_set.is_valid(), action_set.is_valid(),
                                         carer_set.is_valid()]):
        content = services.PlanContent(
            what_matters=form.cleaned_data["what_matters"], review_date=form.cleaned_data["review_date"],
            goals=filled_rows(goal_set, "text"), actions=filled_rows(action_set, "text"),
            carers=filled_rows(carer_set, "name"),
        )
        try:
            version = services.save_plan_version(person, content, actor=request.actor)
        except services.CareError as exc:
            errors.to_form(form, exc)
            plan_errors = {k: v for k, v in exc.message_dict.items() if k in ("goals", "actions", "carers")}
        else:
            messages.success(request, f"Care plan saved as version {version.number}.")
            return redirect("care:patient", pk=person.pk)
    failed = request.method == "POST"
    return _form_page(request, "care/plan_form.html", person, form, title="Care and support plan",
                      goal_set=goal_set, action_set=action_set, carer_set=carer_set, latest=latest,
                      plan_errors=plan_errors, status=400 if failed else 200)


@roles.role_required(*CARE_ROLES)
def plan_version(request, pk, number):
    person = access.care_patient_to_read(request.user, pk)
    version = _version(person, number)
    _viewed(request, person, f"Care plan version {number}")
    return render(request, "care/plan_version.html", {"patient": person, "version": version,
                                                      "lines": selectors.version_lines(version)})


def _version(person, number):
    from django.http import Http404

    version = CarePlanVersion.objects.filter(plan__patient=person, number=number).select_related("saved_by").first()
    if version is None:
        raise Http404("No such version of this plan.")
    return version


@roles.role_required(*CARE_ROLES)
def plan_compare(request, pk):
    person = access.care_patient_to_read(request.user, pk)
    try:
        a, b = sorted({int(request.GET.get("a", "")), int(request.GET.get("b", ""))})
    except ValueError:
        messages.error(request, "Choose two different versions to compare.")
        return redirect("care:patient", pk=person.pk)
    older, newer = _version(person, a), _version(person, b)
    _viewed(request, person, f"Care plan versions {a} and {b} compared")
    return render(request, "care/plan_compare.html", {"patient": person, "older": older, "newer": newer,
                                                      "sections": selectors.compare(older, newer)})


# --- tasks -------------------------------------------------------------------------------------


@roles.role_required(*COORDINATOR_ONLY)
def task_new(request, pk):
    person = access.care_patient_to_read(request.user, pk)
    form = TaskForm(request.POST or None, colleagues=access.care_colleagues(request.user),
                    initial={"due_on": timezone.localdate(), "assigned_to": request.user.pk})
    if request.method == "POST" and form.is_valid():
        pcn = access.pcns_of_patient(person).filter(pk__in=access.care_pcns(request.user).values("pk")).first()
        try:
            if pcn is None:
                raise services.CareError("The patient is not on a panel in your PCNs.")
            services.create_task(pcn=pcn, patient=person, actor=request.actor, **form.cleaned_data)
        except services.CareError as exc:
            errors.to_form(form, exc)
        else:
            messages.success(request, "Task added.")
            return redirect("care:patient", pk=person.pk)
    return _form_page(request, "care/form.html", person, form, title="Add a task", button="Add task",
                      status=400 if form.errors else 200)


@require_POST
@roles.role_required(*COORDINATOR_ONLY)
def task_done(request, pk):
    task = access.task_to_act_for(request.user, pk)
    try:
        services.complete_task(task, actor=request.actor)
    except services.CareError as exc:
        errors.flash(request, exc)
    else:
        messages.success(request, f"Done: {task.title}.")
    return _back(request, reverse("care:worklist"))


@roles.role_required(*COORDINATOR_ONLY)
def task_assign(request, pk):
    task = access.task_to_act_for(request.user, pk)
    form = AssignForm(request.POST or None, colleagues=access.care_colleagues(request.user),
                      initial={"assigned_to": task.assigned_to_id})
    if request.method == "POST" and form.is_valid():
        try:
            services.assign_task(task, assigned_to=form.cleaned_data["assigned_to"], actor=request.actor)
        except services.CareError as exc:
            errors.to_form(form, exc)
        else:
            messages.success(request, "Task given.")
            return _back(request, reverse("care:worklist"))
    if task.patient is not None:
        return _form_page(request, "care/form.html", task.patient, form, title=f"Give the task: {task.title}",
                          button="Give task", status=400 if form.errors else 200)
    audit.record(action="view", obj=task, actor=request.actor, summary="Task")
    return render(request, "care/form.html", {"form": form, "title": f"Give the task: {task.title}",
                                              "button": "Give task"}, status=400 if form.errors else 200)


# --- the provider's care profile --------------------------------------------------------------------


@roles.role_required(roles.PROVIDER, roles.MOA, roles.CLINIC_LEAD)
def profile(request, pk):
    person = access.care_patient_to_profile(request.user, pk)
    current = getattr(person, "care_profile", None)
    initial = {}
    if current is not None:
        initial = {f: getattr(current, f) for f in ("diagnoses", "deficits", "body_systems", "progressive",
                                                    "technology_dependent", "malignancy", "complexity_score",
                                                    "needs_pvp")}
    form = CareProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_care_profile(person, actor=request.actor, **form.cleaned_data)
        except services.CareError as exc:
            errors.to_form(form, exc)
        else:
            messages.success(request, "Care profile saved.")
            return redirect("care:patient", pk=person.pk)
    return _form_page(request, "care/form.html", person, form, title="Diagnoses, complexity and pre-visit planning",
                      button="Save care profile", status=400 if form.errors else 200)
