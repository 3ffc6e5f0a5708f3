"""Pages of the Health Connect Registry: public registration and status lookup; the
coordinators' waitlist, registration page and call list. Views parse, call, render."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_ratelimit.core import get_usage

from attachment.core import access, audit, errors, roles
from attachment.core.http import client_address
from patients import already, identity, lookup, selectors, services
from patients.forms import (
    ContactNoteForm,
    HouseholdEditForm,
    HouseholdForm,
    IdentityResolveForm,
    IneligibleForm,
    MemberEditFormSet,
    MemberFormSet,
    PriorityOverrideForm,
    ReferenceCodeAgainForm,
    StaffHouseholdForm,
    StaffMemberFormSet,
    StatusLookupForm,
    WaitlistFilterForm,
    WithdrawForm,
)
from patients.models import IdentityConflict, Registration
from patients.priority import compute_priority
from registries.models import Community
from registries.vocab import LANGUAGE_NAMES
from reports import waits

# --- public: self-registration ------------------------------------------------------


def _household(form, language) -> services.Household:
    data = form.cleaned_data
    return services.Household(
        community=data["community"], phone=data["phone"], email=data["email"], address=data["address"],
        postal_code=data["postal_code"], languages=data["languages"],
        preferred_provider_gender=data["preferred_provider_gender"], priority_factors=data["factors"],
        language=data.get("language") or language,
    )


def _members(formset) -> list[services.Member]:
    fields = ("first_name", "last_name", "date_of_birth", "phn", "gender")
    return [services.Member(**{k: f.cleaned_data.get(k, "") for k in fields}) for f in formset.forms]


def _as_initial(form) -> dict:
    return {
        name: field.widget.value_from_datadict(form.data, form.files, form.add_prefix(name))
        for name, field in form.fields.items()
    }


def _already_submitted(token: str) -> Registration | None:
    try:
        token = uuid.UUID(token)
    except ValueError:
        return None
    return Registration.objects.filter(submission_token=token).first()


def _client_key(group, request):
    return "client:" + (client_address(request) or "unknown")


def _registration_refused(request) -> bool:
    """Public submits per client address (behind the trusted proxy, the real client's): a
    script cannot post households, or probe PHNs, at will. Counted only when a form is sent
    to be saved, so growing the form or checking the answers does not use the allowance.
    The counts live in the strict rate-limit cache (RATELIMIT_USE_CACHE): with Redis down
    the page answers 503, it never lets everything through."""
    usage = get_usage(request, group="patients.register", key=_client_key, rate=settings.ATTACH_REGISTER_RATE,
                      method="POST", increment=True)
    return bool(usage and usage["should_limit"])


# Where "Change" on the check-your-answers page takes the person: the section's id on the
# form page, and the field that takes the focus there (autofocus: no JavaScript needed).
CHANGE_TARGETS = {"contact": "phone", "address": "address", "preferences": "languages", "needs": "factors",
                  "consent": "consent"}


def _focus(form, formset, target: str):
    if target.startswith("member-"):
        try:
            index = int(target.removeprefix("member-")) - 1
        except ValueError:
            return
        if 0 <= index < len(formset.forms):
            formset.forms[index].fields["first_name"].widget.attrs["autofocus"] = True
    elif target in CHANGE_TARGETS:
        widget = form.fields[CHANGE_TARGETS[target]].widget
        if not getattr(widget, "allow_multiple_selected", False) and target not in ("preferences", "needs"):
            widget.attrs["autofocus"] = True


def _unvalidated(request, form_class, formset_class, communities, data, focus=""):
    """The form again with what was typed as initial values, unvalidated, so no error shows
    for a person not yet filled in (growing the form, or coming back from the check page)."""
    form = form_class(data, communities=communities)
    posted = formset_class(data, prefix="members")
    formset = formset_class(prefix="members", initial=[_as_initial(f) for f in posted.forms])
    form = form_class(communities=communities, initial=_as_initial(form))
    _focus(form, formset, focus)
    return {"form": form, "formset": formset, "show_errors": False}


def _registration_form(request, form_class, *, source, communities=None, template, done_url):
    """The household form with its member formset. 'Add another person' is a submit button
    that re-renders the form with one more row, so the page works without JavaScript.

    The public checks its answers before sending (GOV.UK's "check your answers"): a valid
    form posted with `submit` shows them, with a "Change" for each part; the same answers
    posted with `confirm` are saved. A coordinator's form saves at once."""
    formset_class = StaffMemberFormSet if source == Registration.Source.STAFF else MemberFormSet
    checks_answers = source == Registration.Source.SELF
    if request.method != "POST":
        context = {"form": form_class(communities=communities), "formset": formset_class(prefix="members"),
                   "show_errors": False}
        return render(request, template, context)
    if "add_member" in request.POST or "remove_member" in request.POST:
        data = request.POST.copy()
        try:
            total = int(data.get("members-TOTAL_FORMS", "1"))
        except ValueError:
            total = 1
        total = total + 1 if "add_member" in request.POST else total - 1
        total = min(max(total, 1), 12)
        data["members-TOTAL_FORMS"] = str(total)
        focus = f"member-{total}" if "add_member" in request.POST else ""
        return render(request, template, _unvalidated(request, form_class, formset_class, communities, data, focus))
    if "change" in request.POST:
        context = _unvalidated(request, form_class, formset_class, communities, request.POST,
                               request.POST.get("change", ""))
        return render(request, template, context)
    already = _already_submitted(request.POST.get("submission_token", ""))
    if already is not None:
        # The same form sent again (double click, back button and submit): same answer.
        return done_url(request, already, False)
    confirming = not checks_answers or "confirm" in request.POST
    if confirming and source == Registration.Source.SELF and _registration_refused(request):
        audit.record(user=None, action="view", object_type="patients.Registration", actor=request.actor,
                     summary="Public registration refused: too many from this address")
        return render(request, "patients/register_refused.html", status=429)
    form = form_class(request.POST, communities=communities)
    formset = formset_class(request.POST, prefix="members")
    form_ok, formset_ok = form.is_valid(), formset.is_valid()
    if form_ok and formset_ok and not confirming:
        return render(request, "patients/register_check.html", _check_context(request, form, formset))
    if form_ok and formset_ok:
        try:
            registration, created = services.register_household(
                _household(form, translation.get_language() if checks_answers else settings.LANGUAGE_CODE),
                _members(formset), source=source,
                entered_by=request.user if source == Registration.Source.STAFF else None,
                submission_token=form.cleaned_data["submission_token"], actor=request.actor,
            )
        except services.AlreadyRegistered as exc:
            # Somebody registered the same person between our check and our insert.
            for f in formset.forms:
                if f.cleaned_data.get("phn") in exc.phns:
                    f.add_error("phn", "This person is already on the waitlist.")
            formset._non_form_errors = formset.error_class(["Someone in this household is already registered."])
        else:
            return done_url(request, registration, created)
    else:
        # The twin of this submit may have been saved while this one was validated.
        already = _already_submitted(request.POST.get("submission_token", ""))
        if already is not None:
            return done_url(request, already, False)
    return render(request, template, {"form": form, "formset": formset, "show_errors": True}, status=400)


CONTROL_FIELDS = {"csrfmiddlewaretoken", "submit", "confirm", "change", "add_member", "remove_member"}


def _check_context(request, form, formset) -> dict:
    """What the check-your-answers page shows, in words, and the answers to send again."""
    data = form.cleaned_data
    choices = {name: dict(form.fields[name].choices) for name in ("languages", "preferred_provider_gender", "factors")}
    genders = dict(formset.forms[0].fields["gender"].choices)
    people = [
        {"number": i, "name": f"{f.cleaned_data['first_name']} {f.cleaned_data['last_name']}",
         "date_of_birth": f.cleaned_data["date_of_birth"], "phn": f.cleaned_data["phn"],
         "gender": genders.get(f.cleaned_data.get("gender") or "", "")}
        for i, f in enumerate(formset.forms, start=1)
    ]
    hidden = [(key, value) for key, values in request.POST.lists() if key not in CONTROL_FIELDS for value in values]
    return {
        "people": people, "data": data, "hidden": hidden,
        "languages": [choices["languages"][c] for c in data["languages"]],
        "provider_gender": choices["preferred_provider_gender"].get(data["preferred_provider_gender"], ""),
        "factors": [choices["factors"][c] for c in data["factors"]],
    }


@lookup.padded
def register(request):
    """Public self-registration of a household (no login). Every answer to a POST takes the
    same least time (lookup.padded): a PHN the registry knows makes a held registration,
    which must not be told apart from a new one by the clock either."""

    def done(request, registration, created):
        request.session["registered_id"] = registration.pk
        return redirect("patients:register_done")

    return _registration_form(
        request, HouseholdForm, source=Registration.Source.SELF, template="patients/register.html", done_url=done,
    )


@lookup.padded
def already_registered(request):
    """/register/already/: "I think I am already registered". With the reference code, the
    status page; without it, the code is sent again to the email on file (patients.already).
    The answer is the same whatever was typed: nothing here tells a stranger who is on the
    waitlist."""
    form = ReferenceCodeAgainForm(request.POST or None)
    sent = refused = False
    if request.method == "POST" and form.is_valid():
        phn = form.cleaned_data["phn"]
        refused = lookup.spend(request, "resend-code", phn)
        if not refused:
            already.request_reference_code(phn, form.cleaned_data["date_of_birth"], actor=request.actor)
            sent = True
        form = ReferenceCodeAgainForm()  # nothing typed is echoed back
    return render(request, "patients/already_registered.html",
                  {"form": form, "sent": sent, "refused": refused, "show_errors": request.method == "POST"},
                  status=429 if refused else 200)


def register_done(request):
    pk = request.session.get("registered_id")
    registration = Registration.objects.filter(pk=pk).select_related("community").first() if pk else None
    if registration is None:
        return redirect("patients:register")
    audit.record(user=None, action="view", obj=registration, actor=request.actor,
                 summary="Registration confirmation page")
    response = render(request, "patients/register_done.html", {"registration": registration})
    # The browser that registered is the household's: its own look-ups are never locked by a stranger's.
    return lookup.remember_household(request, response, registration.reference_code)


# --- public: status lookup ------------------------------------------------------------

PLAIN_STATUS = {
    Registration.Status.WAITING: _("You are on the waitlist."),
    Registration.Status.OFFERED: _("A provider has been found. The clinic will contact you."),
    Registration.Status.ATTACHED: _("You are attached to a family doctor or nurse practitioner."),
    Registration.Status.WITHDRAWN: _("This registration is no longer on the waitlist."),
    Registration.Status.INELIGIBLE: _("This registration is no longer on the waitlist."),
}


def waited(since, now=None) -> str:
    """How long since `since`, in words and in the active language (its plural forms)."""
    days = max(0, ((now or timezone.now()) - since).days)
    if days < 1:
        return gettext("less than a day")
    if days < 60:
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    months = days // 30
    if months < 24:
        return ngettext("about %(count)d month", "about %(count)d months", months) % {"count": months}
    years = days // 365
    return ngettext("about %(count)d year", "about %(count)d years", years) % {"count": years}


@lookup.padded
def status_lookup(request):
    """Public status lookup (no login): the status in plain words and how long it has waited."""
    answer, refused, failed, registration = None, False, False, None
    form = StatusLookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = lookup.attempt(request, form.cleaned_data["reference_code"], form.cleaned_data["date_of_birth"])
        refused, registration = result.refused, result.registration
        failed = not refused and registration is None
        if registration is not None:
            audit.record(user=None, action="view", obj=registration, actor=request.actor,
                         summary="Public status lookup")
            answer = {
                "status": PLAIN_STATUS[registration.status],
                "waited": waited(registration.registered_at),
                "since": registration.registered_at,
                "honest": waits.honest_status(registration),  # the household's wait beside its community's
            }
        else:
            # The same blank form whichever part was wrong: nothing echoes what was typed.
            form = StatusLookupForm()
    status = 429 if refused else 200
    response = render(request, "patients/status.html",
                      {"form": form, "answer": answer, "failed": failed, "refused": refused}, status=status)
    if registration is not None:
        lookup.remember_household(request, response, registration.reference_code)
    return response


# --- coordinators -------------------------------------------------------------------------


@roles.role_required(roles.COORDINATOR)
def waitlist(request):
    """The coordinator's workspace: the waitlist of their divisions, searched, filtered, sorted."""
    divisions = list(access.coordinator_divisions(request.user))
    form = WaitlistFilterForm(request.GET or None, divisions=divisions)
    query, ignored = selectors.WaitlistQuery(), []
    if form.is_bound:
        d, ignored = form.usable()
        query = selectors.WaitlistQuery(
            q=d["q"].strip(), community=d["community"].pk if d["community"] else None, status=d["status"] or "open",
            factor=d["factor"], language=d["language"], waited_days=d["waited_days"], suspended=d["suspended"],
            sort=d["sort"] or "priority",
        )
        if query.status == "all":
            query.status = ""
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    rows, has_next = selectors.waitlist(divisions, query, page=page)
    # The list shows names: every page of it is recorded, searches with what was sought.
    if query.q:
        audit.record(user=request.user, action="search", object_type="patients.Registration", actor=request.actor,
                     summary=f"Waitlist search: {query.q[:200]}")
    else:
        audit.record(user=request.user, action="view", object_type="patients.Registration", actor=request.actor,
                     summary=f"Waitlist page {page}: {request.GET.urlencode()[:200]}")
    first_row = (page - 1) * selectors.PAGE_SIZE + 1
    if has_next:
        total, more = selectors.waitlist_total(divisions, query, page=page)
    else:  # the last page: its end is the total, no count needed
        total, more = first_row - 1 + len(rows), False
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "patients/waitlist.html", {
        "form": form, "rows": rows, "page": page, "has_next": has_next, "divisions": divisions,
        "ignored": ignored, "total": total, "total_is_more": more,
        "querystring": params.urlencode(), "first_row": first_row,
        "last_row": (page - 1) * selectors.PAGE_SIZE + len(rows),
        "detail_base": reverse("patients:waitlist"),
    })


def _detail_context(registration, **forms) -> dict:
    context = selectors.registration_detail(registration)
    context.update({
        "registration": registration,
        "priority": compute_priority(registration.priority_factors),
        "languages": [LANGUAGE_NAMES.get(c, c) for c in registration.languages],
        "note_form": ContactNoteForm(),
        "withdraw_form": WithdrawForm(),
        "ineligible_form": IneligibleForm(),
        "override_form": PriorityOverrideForm(initial={"value": registration.priority_override,
                                                       "reason": registration.priority_override_reason}),
        "attempts_before_suspend": settings.ATTACH_CONTACT_ATTEMPTS_BEFORE_SUSPEND,
        "failed_attempts": services.failed_attempts(registration),
        "self_service_changes": list(registration.self_service_changes.all()[:50]),
    })
    context.update(forms)
    return context


@roles.role_required(roles.COORDINATOR)
def registration_detail(request, pk):
    registration = access.registration_to_read(request.user, pk)
    audit.record(user=request.user, action="view", obj=registration, actor=request.actor, summary="Registration page")
    return render(request, "patients/registration_detail.html", _detail_context(registration))


def _detail_with_errors(request, registration, **forms):
    # The page again, with the refused form's messages in place; viewing it is audited too.
    audit.record(user=request.user, action="view", obj=registration, actor=request.actor, summary="Registration page")
    return render(request, "patients/registration_detail.html", _detail_context(registration, **forms), status=400)


@require_POST
@roles.role_required(roles.COORDINATOR)
def add_note(request, pk):
    registration = access.registration_to_read(request.user, pk)
    form = ContactNoteForm(request.POST)
    if not form.is_valid():
        return _detail_with_errors(request, registration, note_form=form)
    services.add_contact_note(registration, by=request.user, actor=request.actor, **form.cleaned_data)
    if registration.suspended_at:
        messages.warning(request, "Contact note added. The registration is suspended: it could not be reached "
                                  f"after {settings.ATTACH_CONTACT_ATTEMPTS_BEFORE_SUSPEND} attempts.")
    else:
        messages.success(request, "Contact note added.")
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("patients:registration", pk=pk)


@require_POST
@roles.role_required(roles.COORDINATOR)
def withdraw(request, pk):
    return _close(request, pk, WithdrawForm, services.withdraw, "withdraw_form", "Registration withdrawn.")


@require_POST
@roles.role_required(roles.COORDINATOR)
def mark_ineligible(request, pk):
    return _close(request, pk, IneligibleForm, services.mark_ineligible, "ineligible_form",
                  "Registration marked ineligible.")


def _close(request, pk, form_class, action, form_name, done):
    registration = access.registration_to_read(request.user, pk)
    form = form_class(request.POST)
    if not form.is_valid():
        return _detail_with_errors(request, registration, **{form_name: form})
    try:
        action(registration, reason=form.reason_text(), by=request.user, actor=request.actor)
    except services.InvalidTransition as exc:
        errors.flash(request, exc)
    else:
        messages.success(request, done)
    return redirect("patients:registration", pk=pk)


@require_POST
@roles.role_required(roles.COORDINATOR)
def override_priority(request, pk):
    registration = access.registration_to_read(request.user, pk)
    form = PriorityOverrideForm(request.POST)
    if not form.is_valid():
        return _detail_with_errors(request, registration, override_form=form)
    services.override_priority(registration, value=form.cleaned_data["value"], reason=form.cleaned_data["reason"],
                               by=request.user, actor=request.actor)
    messages.success(request, "Priority updated.")
    return redirect("patients:registration", pk=pk)


@roles.role_required(roles.COORDINATOR)
def edit_registration(request, pk):
    """Correct a registration's details (audited with the field diffs)."""
    registration = access.registration_to_read(request.user, pk)
    divisions = access.coordinator_divisions(request.user)
    communities = Community.objects.filter(division__in=divisions)
    members = list(registration.members.order_by("-is_primary_contact", "id"))
    if request.method == "POST":
        form = HouseholdEditForm(request.POST, communities=communities)
        formset = MemberEditFormSet(request.POST, prefix="members")
        if form.is_valid() and formset.is_valid():
            member_ids = {m.pk for m in members}
            d = form.cleaned_data
            household = {
                "phone": d["phone"], "email": d["email"], "address": d["address"], "postal_code": d["postal_code"],
                "community_id": d["community"].pk, "languages": d["languages"],
                "preferred_provider_gender": d["preferred_provider_gender"],
                "priority_factors": d["priority_factors"],
            }
            changes = {}
            for f in formset.forms:
                pid = f.cleaned_data["id"]
                if pid not in member_ids:
                    raise Http404("No such member")
                changes[pid] = {k: f.cleaned_data[k] for k in services.MEMBER_FIELDS}
            try:
                services.update_household(registration, household=household, members=changes, by=request.user,
                                          actor=request.actor, reason=d["reason"])
            except services.AlreadyRegistered:
                form.add_error(None, "A PHN you entered belongs to somebody else already known to the registry.")
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Details corrected.")
                return redirect("patients:registration", pk=pk)
        status = 400
    else:
        form = HouseholdEditForm(communities=communities, initial={
            "phone": registration.phone, "email": registration.email, "address": registration.address,
            "postal_code": registration.postal_code, "community": registration.community_id,
            "languages": registration.languages, "preferred_provider_gender": registration.preferred_provider_gender,
            "priority_factors": registration.priority_factors,
        })
        formset = MemberEditFormSet(prefix="members", initial=[
            {"id": m.pk, "first_name": m.first_name, "last_name": m.last_name, "date_of_birth": m.date_of_birth,
             "phn": m.phn, "gender": m.gender} for m in members
        ])
        status = 200
        audit.record(user=request.user, action="view", obj=registration, actor=request.actor,
                     summary="Registration edit page")
    return render(request, "patients/registration_edit.html",
                  {"registration": registration, "form": form, "formset": formset}, status=status)


@roles.role_required(roles.COORDINATOR)
def staff_register(request):
    """Enter a registration for somebody who phoned in (source=staff, entered_by=the coordinator)."""
    communities = Community.objects.filter(division__in=access.coordinator_divisions(request.user))

    def done(request, registration, created):
        if created:
            messages.success(request, f"Registration {registration.reference_code} entered. Read the reference "
                                      "code to the caller.")
        else:
            messages.info(request, "This registration was already entered.")
        return redirect("patients:registration", pk=registration.pk)

    return _registration_form(
        request, StaffHouseholdForm, source=Registration.Source.STAFF, communities=communities,
        template="patients/staff_register.html", done_url=done,
    )


@roles.role_required(roles.COORDINATOR)
def call_list(request):
    """Waiting households without email whose 'still waiting' reminder is due: to phone."""
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    divisions = list(access.coordinator_divisions(request.user))
    rows, has_next = selectors.call_list(divisions, page=page)
    audit.record(user=request.user, action="view", object_type="patients.Registration", actor=request.actor,
                 summary=f"Reminder call list, page {page} ({len(rows)} households)")
    return render(request, "patients/call_list.html", {
        "rows": rows, "page": page, "has_next": has_next, "divisions": divisions,
        "interval": settings.ATTACH_REMINDER_INTERVAL_DAYS, "note_form": ContactNoteForm(
            initial={"kind": "call", "is_reminder": True}),
    })


@roles.role_required(roles.COORDINATOR)
def identity_reviews(request):
    """Registrations held because a PHN on them is known with other details: the registry's
    record and what the form said, side by side, for the coordinator to decide."""
    divisions = list(access.coordinator_divisions(request.user))
    rows = list(identity.open_conflicts(divisions)[:200])
    audit.record(user=request.user, action="view", object_type="patients.IdentityConflict", actor=request.actor,
                 summary=f"Identity reviews listed ({len(rows)})")
    return render(request, "patients/identity_reviews.html",
                  {"rows": rows, "divisions": divisions, "form": IdentityResolveForm()})


@require_POST
@roles.role_required(roles.COORDINATOR)
def identity_resolve(request, pk):
    conflict = identity.open_conflicts(access.coordinator_divisions(request.user)).filter(pk=pk).first()
    if conflict is None:
        raise Http404("No such open identity review in your divisions.")
    form = IdentityResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose whether this is the same person.")
        return redirect("patients:identity_reviews")
    try:
        identity.resolve(conflict, by=request.user, actor=request.actor, **form.cleaned_data)
    except ValidationError as exc:
        errors.flash(request, exc)
    else:
        messages.success(request, f"Resolved: {IdentityConflict.Resolution(form.cleaned_data['resolution']).label}.")
    return redirect("patients:identity_reviews")
