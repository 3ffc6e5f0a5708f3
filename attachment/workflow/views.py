"""Pages of the attachment workflow.

Coordinators: matching runs, proposals, offers, the patient's answer.
MOAs and providers: the offers inbox of the providers they act for.
The public: the household's own answer to an offer, by reference code and date of birth.
"""

import time

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from attachment.core import access, audit, errors, roles
from attachment.core.errors import DomainError
from attachment.workflow import selectors, services
from attachment.workflow.forms import (
    DeclineForm,
    HouseholdAnswerForm,
    MeetAndGreetForm,
    OfferLookupForm,
    PatientAnswerForm,
    ProposalFilterForm,
    RunForm,
    SkipForm,
    WithdrawForm,
)
from attachment.workflow.models import Offer
from patients import lookup
from patients.models import Registration

PAGE_SIZE = 50


def _audit_list(request, object_type, summary):
    audit.record(user=request.user, action="view", object_type=object_type, object_id="list",
                 actor=request.actor, summary=summary)


# --- coordinator: matching runs ---------------------------------------------------------

@roles.role_required(roles.COORDINATOR)
def runs(request):
    form = RunForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        division, community = form.cleaned_data["division"], form.cleaned_data["community"]
        access.require_division(request.user, division.pk)
        run = services.start_run(by=request.user, division_id=division.pk,
                                 community_id=community.pk if community else None,
                                 supersede=form.cleaned_data["supersede"], actor=request.actor)
        messages.success(request, f"Matching run {run.pk} started for {community or division}.")
        return redirect("workflow:run", pk=run.pk)
    page = Paginator(selectors.runs_for(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "workflow/runs.html", {"form": form, "page": page, "show_errors": request.method == "POST"})


@roles.role_required(roles.COORDINATOR)
def run_detail(request, pk):
    run = access.run_to_read(request.user, pk)
    return render(request, "workflow/run.html", {"run": run, **_run_context(request, run)})


@roles.role_required(roles.COORDINATOR)
def run_progress(request, pk):
    """The part of the run page that htmx polls while the run is going."""
    run = access.run_to_read(request.user, pk)
    return render(request, "workflow/_run_progress.html", {"run": run, **_run_context(request, run)})


def _run_context(request, run):
    from registries.models import Community, Division

    params = run.parameters or {}
    area = "All divisions"
    if params.get("community"):
        area = str(Community.objects.filter(pk=params["community"]).first() or "")
    elif params.get("division"):
        area = str(Division.objects.filter(pk=params["division"]).first() or "")
    from attachment.matching.db import run_restarted

    context = {"area": area, "restarted": run_restarted(run)}
    if run.status == run.Status.SUCCEEDED:
        unplaced = selectors.unplaced_of_run(request.user, run)
        page = Paginator(unplaced, PAGE_SIZE).get_page(request.GET.get("page"))
        context.update(unplaced=page, unplaced_reasons=selectors.unplaced_reasons(request.user, run))
        if page.object_list:
            _audit_list(request, "attachment.UnplacedRegistration",
                        f"Viewed households run {run.pk} could not place, page {page.number}")
    return context


# --- coordinator: proposals -------------------------------------------------------------

@roles.role_required(roles.COORDINATOR)
def proposals(request):
    filters = ProposalFilterForm(request.GET or None, user=request.user)
    community = run_id = None
    if filters.is_valid():
        community, run_id = filters.cleaned_data["community"], filters.cleaned_data["run"]
    qs = selectors.proposals_for(request.user, community=community, run_id=run_id)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    _audit_list(request, "attachment.Proposal", f"Viewed proposals, page {page.number}")
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "workflow/proposals.html", {
        "filters": filters, "page": page, "query": query.urlencode(),
        "community": community, "run_id": run_id,
    })


def _ids(values):
    return [int(i) for i in values if i.isdigit()]


@require_POST
@roles.role_required(roles.COORDINATOR)
def confirm_send(request):
    """The one confirmation step before offers go out: how many, to whom. Sends nothing.

    What is chosen: the ticked rows; or every row of the page ("select all on this page",
    which works without JavaScript: the page's ids travel as hidden fields); or every
    open proposal the filters match, on every page ("every proposal of the run").
    The ids are fixed here, so exactly what the coordinator confirmed is sent.
    """
    select = request.POST.getlist("select")
    if "all" in select:
        filters = ProposalFilterForm(request.POST, user=request.user)
        community = run_id = None
        if filters.is_valid():
            community, run_id = filters.cleaned_data["community"], filters.cleaned_data["run"]
        chosen = selectors.proposals_for(request.user, community=community, run_id=run_id)
        described = (f"every open proposal of run {run_id}" if run_id else "every open proposal in your divisions") + (
            f" in {community}" if community else "")
    else:
        ids = _ids(request.POST.getlist("on_page") if "page" in select else request.POST.getlist("proposal"))
        chosen = selectors.proposals_for(request.user).filter(pk__in=ids)
        described = "every proposal on the page" if "page" in select else "the proposals you ticked"
    back = _safe_next(request, reverse("workflow:proposals"))
    ids = list(chosen.values_list("pk", flat=True))
    if not ids:
        messages.error(request, "Choose at least one proposal to send.")
        return redirect(back)
    by_provider = selectors.count_by_provider(ids)
    _audit_list(request, "attachment.Proposal", f"Reviewed {len(ids)} proposals before sending them as offers")
    return render(request, "workflow/confirm_send.html", {
        "count": len(ids), "ids": ",".join(map(str, ids)), "described": described,
        "by_provider": by_provider, "back": back,
    })


@require_POST
@roles.role_required(roles.COORDINATOR)
def send_offers(request):
    if request.POST.get("single", "").isdigit():
        ids = [int(request.POST["single"])]  # a row's own button: that row only
    else:
        ids = _ids(request.POST.getlist("proposal")) + _ids(request.POST.get("ids", "").split(","))
    # Only proposals in the coordinator's divisions; anything else is silently not theirs to send.
    allowed = list(
        selectors.proposals_for(request.user).filter(pk__in=ids).values_list("pk", flat=True)
    )
    if not allowed:
        messages.error(request, "Choose at least one proposal to send.")
        return redirect(request.POST.get("next") or reverse("workflow:proposals"))
    offers, problems = services.send_offers(allowed, by=request.user, actor=request.actor)
    if offers:
        messages.success(request, f"{len(offers)} offer{'s' if len(offers) != 1 else ''} sent to the clinics.")
    for problem in problems:
        messages.error(request, problem)
    return redirect(_safe_next(request, reverse("workflow:proposals")))


def _safe_next(request, default):
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@roles.role_required(roles.COORDINATOR)
def skip(request, pk):
    proposal = access.proposal_to_read(request.user, pk)
    form = SkipForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.skip_proposal(proposal.pk, by=request.user, reason=form.cleaned_data["reason"],
                                   never_again=form.cleaned_data["never_again"], actor=request.actor)
        except DomainError as exc:
            errors.flash(request, exc)
        else:
            messages.success(request, f"Proposal for {proposal.registration.reference_code} skipped; "
                                      "the places went back to the provider.")
        return redirect("workflow:proposals")
    if request.method == "GET":
        audit.record(user=request.user, action="view", obj=proposal, actor=request.actor, summary="Viewed a proposal")
    return render(request, "workflow/skip.html", {"proposal": proposal, "form": form,
                                                  "show_errors": request.method == "POST"})


# --- coordinator: offers ------------------------------------------------------------------

@roles.role_required(roles.COORDINATOR)
def offers(request):
    status = request.GET.get("status") or "open"
    if status not in {"open", "all"} | set(Offer.Status.values):
        status = "open"
    qs = selectors.coordinator_offers(request.user, status=None if status == "all" else status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    _audit_list(request, "attachment.Offer", f"Viewed offers ({status}), page {page.number}")
    return render(request, "workflow/offers.html", {
        "page": page, "status": status, "statuses": Offer.Status.choices,
    })


@roles.role_required(roles.COORDINATOR)
def offer_manage(request, pk):
    offer = access.coordinator_offer(request.user, pk)
    # Both forms have a `reason`: each gets its own element ids on the one page.
    answer_form = PatientAnswerForm(request.POST if request.POST.get("form") == "answer" else None,
                                    auto_id="answer_%s")
    withdraw_form = WithdrawForm(request.POST if request.POST.get("form") == "withdraw" else None,
                                 auto_id="withdraw_%s")
    if request.method == "POST":
        try:
            if request.POST.get("form") == "answer" and answer_form.is_valid():
                if answer_form.cleaned_data["answer"] == "yes":
                    services.patient_confirm(offer.pk, by=request.user, actor=request.actor)
                    messages.success(request, f"Attached: {offer.registration.reference_code} is now on "
                                              f"{offer.provider}'s panel.")
                else:
                    services.patient_decline(offer.pk, by=request.user, reason=answer_form.cleaned_data["reason"],
                                             actor=request.actor)
                    messages.success(request, "The household's decline is recorded; it is back on the waitlist.")
                return redirect("workflow:offer", pk=offer.pk)
            if request.POST.get("form") == "withdraw" and withdraw_form.is_valid():
                services.withdraw_offer(offer.pk, by=request.user, reason=withdraw_form.cleaned_data["reason"],
                                        actor=request.actor)
                messages.success(request, "Offer withdrawn; the household is back on the waitlist.")
                return redirect("workflow:offer", pk=offer.pk)
        except DomainError as exc:
            errors.flash(request, exc)
            return redirect("workflow:offer", pk=offer.pk)
    else:
        audit.record(user=request.user, action="view", obj=offer, actor=request.actor, summary="Viewed an offer")
    message = meet_message = None
    if offer.status == Offer.Status.CLINIC_ACCEPTED:
        message = services.patient_message(offer)  # says the meet-and-greet too
    elif offer.status == Offer.Status.SENT and offer.meet_and_greet_at:
        meet_message = services.meet_and_greet_message(offer)
    return render(request, "workflow/offer_manage.html", {
        "offer": offer, "profile": selectors.household_profile(offer.registration), "message": message,
        "meet_message": meet_message,
        "answer_form": answer_form, "withdraw_form": withdraw_form, "show_errors": request.method == "POST",
    })


# --- MOA / provider: the offers inbox ------------------------------------------------------------

@roles.role_required(*roles.CLINIC_ROLES)
def inbox(request):
    status = request.GET.get("status") or "open"
    if status not in {"open", "all"} | set(Offer.Status.values):
        status = "open"
    qs = selectors.inbox_offers(request.user, status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    _audit_list(request, "attachment.Offer", f"Viewed offers inbox ({status}), page {page.number}")
    return render(request, "workflow/inbox.html", {"page": page, "status": status, "statuses": Offer.Status.choices})


@roles.role_required(*roles.CLINIC_ROLES)
def inbox_offer(request, pk):
    offer = access.clinic_offer(request.user, pk)
    action = request.POST.get("action")
    mg_form = MeetAndGreetForm(request.POST if action == "meet" else None,
                               initial={"at": offer.meet_and_greet_at})
    decline_form = DeclineForm(request.POST if action == "decline" else None)
    if request.method == "POST":
        try:
            if action == "meet" and mg_form.is_valid():
                services.book_meet_and_greet(offer.pk, at=mg_form.cleaned_data["at"], by=request.user, actor=request.actor)
                messages.success(request, "Meet-and-greet booked. The household is told by email where it gave one, "
                                          "and the coordinator has the message to phone through.")
                return redirect("workflow:inbox_offer", pk=offer.pk)
            if action == "accept":
                services.clinic_accept(offer.pk, by=request.user, actor=request.actor)
                messages.success(request, "Accepted. The household is being told and asked to confirm.")
                return redirect("workflow:inbox_offer", pk=offer.pk)
            if action == "decline" and decline_form.is_valid():
                services.clinic_decline(offer.pk, by=request.user, reason=decline_form.cleaned_data["reason"],
                                        actor=request.actor)
                messages.success(request, "Declined. The household goes back to the waitlist.")
                return redirect("workflow:inbox")
        except DomainError as exc:
            errors.flash(request, exc)
            return redirect("workflow:inbox_offer", pk=offer.pk)
    else:
        audit.record(user=request.user, action="view", obj=offer, actor=request.actor,
                     summary="Viewed an offer in the clinic inbox")
    # Accepting tells the household, so it asks first: ?confirm=accept shows the step
    # (a plain GET form, no JavaScript needed); its button posts the accept.
    confirming = request.method == "GET" and request.GET.get("confirm") == "accept" and offer.status == Offer.Status.SENT
    return render(request, "workflow/inbox_offer.html", {
        "offer": offer, "profile": selectors.household_profile(offer.registration),
        "mg_form": mg_form, "decline_form": decline_form, "show_errors": request.method == "POST",
        "confirming": confirming,
    })


# --- the public: the household answers --------------------------------------------------------

VERIFIED_SESSION_KEY = "attach_offer_verified"
VERIFIED_SECONDS = 15 * 60


def _verified_code(request):
    entry = request.session.get(VERIFIED_SESSION_KEY) or {}
    if entry.get("until", 0) > time.time():
        return entry.get("code")
    return None


@lookup.padded
def respond(request, reference):
    """/offer/<reference>/: verify with the reference code and a date of birth, then answer."""
    reference = lookup.normalize_code(reference)
    verified = _verified_code(request) == reference
    if not verified:
        form = OfferLookupForm(request.POST or None, initial={"reference_code": reference})
        refused = failed = False
        if request.method == "POST" and form.is_valid():
            result = lookup.attempt(request, form.cleaned_data["reference_code"], form.cleaned_data["date_of_birth"],
                                    only_code=reference)
            if result.verified:
                request.session[VERIFIED_SESSION_KEY] = {"code": reference, "until": time.time() + VERIFIED_SECONDS}
                audit.record(user=None, action="view", obj=result.registration, actor=request.actor,
                             summary="Household verified for its offer page")
                response = redirect("offer:respond", reference=reference)
                return lookup.remember_household(request, response, reference)
            refused, failed = result.refused, not result.refused
            # A fresh form whichever part was wrong: nothing echoes what was typed.
            form = OfferLookupForm(initial={"reference_code": reference})
        status = 429 if refused else 200
        return render(request, "workflow/respond_lookup.html",
                      {"form": form, "reference": reference, "refused": refused, "failed": failed,
                       "show_errors": request.method == "POST"}, status=status)

    registration = Registration.objects.get(reference_code=reference)
    offer = selectors.open_offer_for_registration(registration)
    if request.method == "GET":
        audit.record(user=None, action="view", obj=offer or registration, actor=request.actor,
                     summary="Household viewed its offer" if offer else "Household viewed its offer page: no open offer")
    form = HouseholdAnswerForm(request.POST or None)
    if request.method == "POST" and offer is not None and form.is_valid():
        try:
            if form.cleaned_data["answer"] == "yes":
                services.patient_confirm(offer.pk, by=None, actor=request.actor)
                messages.success(request, _("Thank you. You are now a patient of %(provider)s at %(clinic)s. "
                                            "The clinic will contact you.") % {
                                                "provider": offer.provider, "clinic": offer.clinic})
            else:
                services.patient_decline(offer.pk, by=None, reason=form.cleaned_data["reason"], actor=request.actor)
                messages.success(request, _("Thank you. Your answer is recorded and you keep your place on the "
                                            "waitlist."))
        except DomainError as exc:
            errors.flash(request, exc)
        request.session.pop(VERIFIED_SESSION_KEY, None)
        return redirect("offer:respond_done")
    return render(request, "workflow/respond.html", {
        "offer": offer, "form": form, "registration": registration, "show_errors": request.method == "POST",
    })


def respond_done(request):
    return render(request, "workflow/respond_done.html")
