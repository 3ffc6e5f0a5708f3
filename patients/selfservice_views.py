"""The household's self-service pages (no login): prove, get a code, then change what the
household may change and see who looked at its record. Views parse, call, render.

Nothing here is an oracle: the first step answers with the same words, the same redirect
and (padded, patients.lookup) the same time whether or not the code and date of birth
matched, and the code step the same for a wrong code, an expired one and a ticket that
never had one.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from attachment.core import access, audit, errors
from patients import access_log, lookup, otp, selfservice, services
from patients.models import Patient, Registration
from patients.priority import compute_priority
from patients.selfservice_forms import (
    CodeForm,
    ContactForm,
    LeaveForm,
    NeedsForm,
    NewMemberForm,
    ProveForm,
    RemoveMemberForm,
)

TICKET_KEY = "self_service_ticket"


@lookup.padded
def start(request):
    """Step 1: the reference code and a date of birth. Whatever the answer, a ticket and the code page."""
    form = ProveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = lookup.attempt(request, form.cleaned_data["reference_code"], form.cleaned_data["date_of_birth"],
                                count_every_try=True)
        if result.refused:
            return render(request, "patients/self/refused.html", status=429)
        ticket = otp.new_ticket()
        otp.request_code(result.registration, ticket)
        request.session[TICKET_KEY] = ticket
        return redirect("patients:self_code")
    return render(request, "patients/self/start.html", {"form": form, "show_errors": request.method == "POST"},
                  status=400 if request.method == "POST" else 200)


@lookup.padded
def code(request):
    """Step 2: the one-time code. Right: the household's page; anything else, the same words."""
    ticket = request.session.get(TICKET_KEY)
    if not ticket:
        return redirect("patients:self_start")
    form = CodeForm(request.POST or None)
    failed = False
    if request.method == "POST" and form.is_valid():
        check = otp.check(ticket, form.cleaned_data["code"])
        if check.refused:
            request.session.pop(TICKET_KEY, None)
            return render(request, "patients/self/refused.html", status=429)
        if check.ok:
            access.open_household(request, check.registration)
            return redirect("patients:self_household")
        failed = True
        form = CodeForm()
    return render(request, "patients/self/code.html", {"form": form, "failed": failed,
                                                       "otp_minutes": settings.ATTACH_OTP_MINUTES,
                                                       "show_errors": request.method == "POST" and not failed})


def _household_context(registration):
    members = list(Patient.objects.filter(registration=registration).order_by("-is_primary_contact", "pk"))
    return {
        "registration": registration, "members": members, "accesses": access_log.accesses(registration),
        "priority": compute_priority(registration.priority_factors),
        "factors": [label for c, label in NeedsForm.base_fields["factors"].choices if c in registration.priority_factors],
        "can_change": registration.is_open, "can_leave": registration.status == Registration.Status.WAITING,
        "remove_form": RemoveMemberForm(),
    }


def household(request):
    """The household's page: its details, what it may change, and who looked at its record."""
    registration = access.household_registration(request)
    audit.record(action="view", obj=registration, actor=selfservice.registrant(request.actor),
                 summary="Self-service page")
    return render(request, "patients/self/household.html", _household_context(registration))


def _change_page(request, *, form, template, apply, done):
    """GET: the form; POST: the change through its service, or the form again with the reason."""
    registration = access.household_registration(request)
    if request.method == "POST" and form.is_valid():
        try:
            apply(registration, form.cleaned_data)
        except ValidationError as exc:  # a SelfServiceError, or a PHN refused by validate_phn
            errors.to_form(form, exc)
        else:
            messages.success(request, done)
            return redirect("patients:self_household")
    audit.record(action="view", obj=registration, actor=selfservice.registrant(request.actor),
                 summary=f"Self-service: {template.rsplit('/', 1)[-1].removesuffix('.html')} page")
    return render(request, template, {"form": form, "registration": registration,
                                      "show_errors": request.method == "POST"},
                  status=400 if request.method == "POST" else 200)


def contact(request):
    registration = access.household_registration(request)
    initial = {f: getattr(registration, f) for f in selfservice.CONTACT_FIELDS}
    form = ContactForm(request.POST or None, initial=initial)
    return _change_page(
        request, form=form, template="patients/self/contact.html", done=_("Your contact details are updated."),
        apply=lambda r, d: selfservice.update_contact(r, actor=request.actor, **d),
    )


def needs(request):
    registration = access.household_registration(request)
    form = NeedsForm(request.POST or None, initial={"factors": registration.priority_factors})
    return _change_page(
        request, form=form, template="patients/self/needs.html", done=_("Your answers are updated."),
        apply=lambda r, d: selfservice.change_needs(r, factors=d["factors"], actor=request.actor),
    )


def add_member(request):
    form = NewMemberForm(request.POST or None)
    fields = ("first_name", "last_name", "date_of_birth", "phn", "gender")
    return _change_page(
        request, form=form, template="patients/self/add_member.html",
        done=_("The person is added to your household."),
        apply=lambda r, d: selfservice.add_member(r, services.Member(**{k: d.get(k) or "" for k in fields}),
                                                  actor=request.actor),
    )


@require_POST
def remove_member(request):
    registration = access.household_registration(request)
    form = RemoveMemberForm(request.POST)
    if form.is_valid():
        try:
            selfservice.remove_member(registration, form.cleaned_data["member"], actor=request.actor)
        except selfservice.SelfServiceError as exc:
            errors.flash(request, exc)
        else:
            messages.success(request, _("The person is removed from your household."))
    return redirect("patients:self_household")


def leave(request):
    form = LeaveForm(request.POST or None)
    return _change_page(
        request, form=form, template="patients/self/leave.html",
        done=_("You have left the waitlist. We are glad you found care."),
        apply=lambda r, d: selfservice.leave_waitlist(r, reason=d["reason"], actor=request.actor),
    )


@require_POST
def sign_out(request):
    access.close_household(request)
    request.session.pop(TICKET_KEY, None)
    messages.info(request, _("You have left your registration's page."))
    return redirect("patients:self_start")
