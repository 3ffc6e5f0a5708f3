"""Pages of referrals: a patient's referrals (on their care record), making one, one
referral and its next step, and the overdue list. Thin: who, the record in scope (404
outside it, via access), parse, one call to care.referrals with `actor=`, render;
every page that shows a person is audited."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from attachment.core import access, audit, errors, roles
from care import referrals
from care.referral_forms import MoveForm, OverdueFilterForm, ReferralForm
from care.views import CARE_ROLES, COORDINATOR_ONLY, _page_number, _querystring

PAGE_SIZE = 50


@roles.role_required(*COORDINATOR_ONLY)
def referral_new(request, pk):
    person = access.care_patient_to_read(request.user, pk)
    form = ReferralForm(request.POST or None, initial={"sent_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            referral = referrals.make_referral(person, actor=request.actor, **form.cleaned_data)
        except referrals.ReferralError as exc:
            errors.to_form(form, exc)
        else:
            messages.success(request, f"Referral to {referral.service} recorded.")
            return redirect("care:referral", pk=referral.pk)
    audit.record(action="view", obj=person, actor=request.actor, summary="Make a referral")
    return render(request, "care/form.html", {"patient": person, "form": form, "title": "Make a referral",
                                              "button": "Record the referral"},
                  status=400 if form.errors else 200)


@roles.role_required(*CARE_ROLES)
def referral(request, pk):
    ref = access.referral_to_act_for(request.user, pk)
    can_move = roles.has_role(request.user, roles.CARE_COORDINATOR) and bool(referrals.allowed_moves(ref))
    form = None
    status = 200
    if can_move:
        moves = referrals.allowed_moves(ref)
        form = MoveForm(request.POST or None, moves=moves,
                        initial={"to_step": moves[0], "on": timezone.localdate(), "records_sent": ref.records_sent})
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            try:
                ref = referrals.move(ref, d["to_step"], on=d["on"], appointment_on=d["appointment_on"],
                                     reason=d["reason"], records_sent=d["records_sent"], actor=request.actor)
            except referrals.ReferralError as exc:
                errors.to_form(form, exc)
            else:
                messages.success(request, f"Referral is now: {ref.get_step_display().lower()}.")
                return redirect("care:referral", pk=ref.pk)
        if request.method == "POST":
            status = 400
    elif request.method == "POST":
        status = 400
        messages.error(request, "This referral has ended; it moves no further.")
    audit.record(action="view", obj=ref.patient, actor=request.actor, summary=f"Referral {ref.pk}")
    today = timezone.localdate()
    return render(request, "care/referral.html", {
        "referral": ref, "patient": ref.patient, "form": form, "overdue_days": referrals.days_overdue(ref, today),
        "steps": _timeline(ref),
    }, status=status)


def _timeline(ref):
    rows = [("Sent", ref.sent_on), ("Accepted", ref.accepted_on), ("Appointment booked", ref.booked_on),
            ("Appointment", ref.appointment_on), ("Seen", ref.seen_on), ("Report received", ref.report_on),
            ("Closed", ref.closed_on)]
    if ref.ended_on:
        rows.append((ref.get_step_display(), ref.ended_on))
    return rows


@roles.role_required(*COORDINATOR_ONLY)
def referrals_overdue(request):
    """Referrals in scope stuck past their step's expected days, the longest overdue first."""
    form = OverdueFilterForm(request.GET or None)
    today = timezone.localdate()
    qs = access.care_referrals(request.user).filter(step_due_on__lt=today)
    if form.is_bound and form.is_valid():
        if form.cleaned_data["type"]:
            qs = qs.filter(type=form.cleaned_data["type"])
        if form.cleaned_data["step"]:
            qs = qs.filter(step=form.cleaned_data["step"])
    page = _page_number(request)
    start = (page - 1) * PAGE_SIZE
    rows = list(qs.select_related("patient", "type").order_by("step_due_on", "id")[start:start + PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    for r in rows:
        r.overdue_days = referrals.days_overdue(r, today)
        r.waiting_for = referrals.WAITING_FOR.get(r.step, "")
    audit.record(action="view", object_type="care.Referral", actor=request.actor,
                 summary=f"Overdue referrals page {page}: {request.GET.urlencode()[:200]}")
    return render(request, "care/referrals_overdue.html", {
        "form": form, "rows": rows, "page": page, "has_next": has_next, "querystring": _querystring(request),
    })
