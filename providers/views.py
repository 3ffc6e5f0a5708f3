"""Clinic-side pages: the MOA/provider workspace, provider and clinic profiles, capacity, delegation."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from attachment.core import access, errors, roles
from attachment.workflow.selectors import waiting_for_clinic
from providers import selectors, services
from providers.capacity import declare_capacity
from providers.forms import (
    AskProviderForm,
    CapacityForm,
    ClinicForm,
    EndorseForm,
    ProviderProfileForm,
    StaffForm,
)
from providers.models import ClinicMembership, Delegation
from registries.vocab import NEED_NAMES, language_name

READ_ROLES = roles.CLINIC_ROLES + (roles.COORDINATOR, roles.ADMINISTRATOR)
OFFERS_INBOX = "/matching/offers/"  # the offer workflow's page, linked by path (another slice owns it)


@roles.role_required(*roles.CLINIC_ROLES)
def workspace(request):
    """The clinic workspace: the providers this person acts for, and what needs their attention."""
    providers = list(selectors.providers_with_clinics(access.acting_providers(request.user)))
    latest = selectors.latest_declarations(providers)
    for p in providers:
        p.declaration = latest.get(p.pk)
    to_ask = services.providers_to_ask(request.user)
    return render(request, "providers/workspace.html", {
        "providers": providers,
        "pending": selectors.pending_endorsements(request.user),
        "requests": selectors.requests_to_confirm(request.user),
        "ask_form": AskProviderForm(providers=to_ask) if to_ask.exists() else None,
        "my_delegations": selectors.my_delegations(request.user),
        "clinics": access.managed_clinics(request.user),
        "offers_inbox": OFFERS_INBOX,
        "offers_waiting": waiting_for_clinic(request.user),
    })


@roles.role_required(*READ_ROLES)
def provider_detail(request, pk):
    provider = access.provider_to_read(request.user, pk)
    can_act = access.can_act_for(request.user, provider)
    return render(request, "providers/provider_detail.html", {
        "provider": provider,
        "can_act": can_act,
        "is_self": provider.user_id == request.user.pk,
        "clinics": provider.clinics.select_related("community"),
        "communities": provider.communities.all(),
        "history": selectors.capacity_history(provider, limit=5),
        "languages": [language_name(c) for c in provider.languages],
        "declines": [NEED_NAMES.get(n, n) for n in provider.declines_needs],
    })


@roles.role_required(*roles.CLINIC_ROLES)
def provider_edit(request, pk):
    provider = access.provider_to_act_for(request.user, pk)
    initial = {
        "kind": provider.kind, "practitioner_number": provider.practitioner_number,
        "first_name": provider.first_name, "last_name": provider.last_name, "gender": provider.gender,
        "languages": provider.languages, "communities": provider.communities.all(),
        "declines_needs": provider.declines_needs,
    }
    form = ProviderProfileForm(request.POST or None, initial=initial, provider=provider)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        communities = data.pop("communities")
        try:
            services.update_provider_profile(provider, data=data, communities=communities, by=request.user, actor=request.actor)
        except ValidationError as exc:
            errors.to_form(form, exc)
        else:
            messages.success(request, "The profile is saved.")
            return redirect("providers:provider", pk=provider.pk)
    return render(request, "providers/provider_form.html", {"provider": provider, "form": form})


@roles.role_required(*roles.CLINIC_ROLES)
def capacity(request, pk):
    provider = access.provider_to_act_for(request.user, pk)
    latest = selectors.capacity_history(provider, limit=1)
    current = latest[0] if latest else None
    initial = {"accepting": "yes" if provider.accepting else "no", "new_patients": provider.open_capacity}
    if current:
        initial.update(monthly_intake=current.monthly_intake, desired_panel_size=current.desired_panel_size,
                       complexity=current.complexity)
    form = CapacityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        declare_capacity(
            provider, accepting=d["accepting"], new_patients=d["new_patients"], by=request.user,
            monthly_intake=d["monthly_intake"] or 0, desired_panel_size=d["desired_panel_size"],
            complexity=d["complexity"], note=d["note"], actor=request.actor,
        )
        messages.success(request, f"Capacity declared for {provider}.")
        return redirect("providers:capacity", pk=provider.pk)
    provider.refresh_from_db(fields=["accepting", "open_capacity"])
    return render(request, "providers/capacity.html", {
        "provider": provider, "form": form, "history": selectors.capacity_history(provider),
    })


@roles.role_required(*roles.CLINIC_ROLES)
def delegations(request, pk):
    provider = access.provider_to_act_for(request.user, pk)
    is_self = provider.user_id == request.user.pk
    form = EndorseForm(request.POST or None, delegates=services.eligible_delegates(provider)) if is_self else None
    if request.method == "POST":
        if not is_self:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.endorse(provider, form.cleaned_data["delegate"], by=request.user, actor=request.actor)
            except ValidationError as exc:
                errors.to_form(form, exc)
            else:
                messages.success(request, "Endorsement sent: the staff member is emailed to confirm, and it takes "
                                          "effect when they do.")
                return redirect("providers:delegations", pk=provider.pk)
    return render(request, "providers/delegations.html", {
        "provider": provider, "form": form, "is_self": is_self, "delegations": selectors.delegations_of(provider),
    })


@require_POST
@roles.role_required(*roles.CLINIC_ROLES)
def delegation_request(request):
    """A staff member asks a provider of their clinic to let them act for them."""
    form = AskProviderForm(request.POST, providers=services.providers_to_ask(request.user))
    if not form.is_valid():
        messages.error(request, "Choose a provider of a clinic you work at.")
        return redirect("providers:workspace")
    provider = form.cleaned_data["provider"]
    try:
        services.request_endorsement(provider, by=request.user, actor=request.actor)
    except ValidationError as exc:
        errors.flash(request, exc)
    else:
        messages.success(request, f"Asked {provider}: they are emailed to confirm, and you act for them once they do.")
    return redirect("providers:workspace")


@require_POST
@roles.role_required(*roles.CLINIC_ROLES)
def delegation_accept(request, pk):
    """The party who did not start it confirms: the staff member an endorsement, the provider a request."""
    delegation = get_object_or_404(
        Delegation.objects.filter(
            Q(delegate=request.user, status=Delegation.Status.ENDORSED)
            | Q(provider__user=request.user, status=Delegation.Status.REQUESTED)
        ).select_related("provider", "delegate"),
        pk=pk,
    )
    by_provider = delegation.status == Delegation.Status.REQUESTED
    try:
        services.accept(delegation, by=request.user, actor=request.actor)
    except ValidationError as exc:
        errors.flash(request, exc)
    else:
        if by_provider:
            messages.success(request, f"Confirmed: {delegation.delegate.get_full_name() or delegation.delegate.username} "
                                      "now acts for you.")
        else:
            messages.success(request, f"You now act for {delegation.provider}.")
    if by_provider:
        return redirect("providers:delegations", pk=delegation.provider_id)
    return redirect("providers:workspace")


@require_POST
@roles.role_required(*roles.CLINIC_ROLES)
def delegation_end(request, pk):
    delegation = get_object_or_404(Delegation, pk=pk)
    if request.user.pk not in (delegation.delegate_id, delegation.provider.user_id):
        raise PermissionDenied
    try:
        services.end(delegation, by=request.user, actor=request.actor)
    except ValidationError as exc:
        errors.flash(request, exc)
    else:
        messages.success(request, "The delegation has ended; access was removed.")
    if delegation.provider.user_id == request.user.pk:
        return redirect("providers:delegations", pk=delegation.provider_id)
    return redirect("providers:workspace")


@roles.role_required(*READ_ROLES)
def clinic_detail(request, pk):
    clinic = access.clinic_to_read(request.user, pk)
    providers, staff = selectors.clinic_detail(clinic)
    can_manage = access.managed_clinics(request.user).filter(pk=clinic.pk).exists()
    from providers.forms import WEEKDAYS

    hours = [(name, (clinic.hours or {}).get(code, "")) for code, name in WEEKDAYS]
    return render(request, "providers/clinic_detail.html", {
        "clinic": clinic, "providers": providers, "staff": staff, "can_manage": can_manage, "hours": hours,
        "staff_form": StaffForm() if can_manage else None,
    })


@roles.role_required(roles.CLINIC_LEAD, roles.ADMINISTRATOR)
def clinic_edit(request, pk):
    clinic = access.clinic_to_manage(request.user, pk)
    form = ClinicForm(request.POST or None, instance=clinic)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        data["community_id"] = data.pop("community").pk
        data["hours"] = form.hours()
        try:
            services.update_clinic(clinic, data=data, by=request.user, actor=request.actor)
        except ValidationError as exc:
            errors.to_form(form, exc)
        else:
            messages.success(request, "The clinic page is saved.")
            return redirect("providers:clinic", pk=clinic.pk)
    return render(request, "providers/clinic_form.html", {"clinic": clinic, "form": form})


@require_POST
@roles.role_required(roles.CLINIC_LEAD, roles.ADMINISTRATOR)
def clinic_staff_add(request, pk):
    clinic = access.clinic_to_manage(request.user, pk)
    form = StaffForm(request.POST)
    if form.is_valid():
        try:
            services.add_staff(clinic, form.cleaned_data["user"], role=form.cleaned_data["role"], by=request.user,
                               actor=request.actor)
        except ValidationError as exc:
            errors.flash(request, exc)
        else:
            messages.success(request, "Staff member added.")
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect(reverse("providers:clinic", args=[clinic.pk]) + "#staff")


@require_POST
@roles.role_required(roles.CLINIC_LEAD, roles.ADMINISTRATOR)
def clinic_staff_remove(request, pk, membership_pk):
    clinic = access.clinic_to_manage(request.user, pk)
    membership = get_object_or_404(ClinicMembership, pk=membership_pk, clinic=clinic)
    services.remove_staff(membership, by=request.user, actor=request.actor)
    messages.success(request, "Staff member removed; their delegations from this clinic's providers ended.")
    return redirect(reverse("providers:clinic", args=[clinic.pk]) + "#staff")
