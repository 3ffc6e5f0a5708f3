"""Panel Registry pages: a provider's panel, one patient in or out, bulk upload, coordinators' lists."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_ratelimit.core import get_usage

from attachment.core import access, audit, errors, roles
from registries.models import PanelConflict, PanelEntry, WaitlistFlag
from registries.panels import entries, review, selectors, uploads
from registries.panels.forms import (
    AddPatientForm,
    PanelUploadForm,
    RemovePatientForm,
    ResolveConflictForm,
    ResolveFlagForm,
)

PANEL_READERS = roles.CLINIC_ROLES + (roles.COORDINATOR,)


@roles.role_required(*PANEL_READERS)
def panel(request, provider_pk):
    """A provider's open panel: theirs and their delegates' to work, their division's coordinators' to read."""
    provider = access.panel_to_read(request.user, provider_pk)
    q = request.GET.get("q", "").strip()
    rows, next_cursor = selectors.panel_page(provider, q=q, after=request.GET.get("after"))
    audit.record(
        user=request.user, action="search" if q else "view", obj=provider, actor=request.actor,
        summary=f"Panel of {provider} viewed ({len(rows)} patients shown)", reason=q[:100],
    )
    return render(request, "registries/panel.html", {
        "provider": provider,
        "rows": rows,
        "q": q,
        "next_cursor": next_cursor,
        "is_first_page": not request.GET.get("after"),
        "panel_size": selectors.open_panel(provider).count(),  # at most a few thousand, on a partial index
        "can_act": access.can_act_for(request.user, provider),
    })


def _user_key(group, request):
    # The account, not its id alone: an id given again to a new account starts afresh.
    return f"user:{request.user.pk}:{request.user.date_joined.timestamp()}"


def _checks_refused(request) -> bool:
    """Each PHN a clinic sends is checked against the whole registry: a user's checks (one
    patient added, one file uploaded) are limited, so the registry cannot be walked by them."""
    usage = get_usage(request, group="registries.panel_checks", key=_user_key, rate=settings.ATTACH_PANEL_CHECK_RATE,
                      method="POST", increment=True)
    return bool(usage and usage["should_limit"])


def _refused_page(request, provider, template, form, **context):
    audit.record(user=request.user, action="view", obj=provider, actor=request.actor,
                 summary="Panel check refused: too many checks by this user in the hour")
    form.add_error(None, "You have checked many patients in the last hour. Try again later, or ask an "
                         "attachment coordinator.")
    return render(request, template, {"provider": provider, "form": form, **context}, status=429)


@roles.role_required(*roles.CLINIC_ROLES)
def panel_add(request, provider_pk):
    provider = access.provider_to_act_for(request.user, provider_pk)
    form = AddPatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _checks_refused(request):
        return _refused_page(request, provider, "registries/panel_add.html", form)
    if request.method == "POST" and form.is_valid():
        try:
            result = entries.add_patient(provider, **form.cleaned_data, by=request.user, actor=request.actor)
        except ValidationError as exc:
            errors.to_form(form, exc)
        else:
            if result.conflict:
                # One neutral answer, whatever the registry has under that PHN (another panel,
                # another name or date of birth): the clinic learns nothing about people outside it.
                messages.warning(request, "This patient needs an attachment coordinator's review before they can be "
                                          "added. The claim was sent to the coordinators; it was not added yet.")
            else:
                messages.success(request, "The patient was added to the panel (98990).")
            return redirect("registries:panel", provider_pk=provider.pk)
    return render(request, "registries/panel_add.html", {"provider": provider, "form": form})


@roles.role_required(*roles.CLINIC_ROLES)
def panel_remove(request, entry_pk):
    entry = get_object_or_404(PanelEntry.objects.select_related("patient", "provider"), pk=entry_pk, ended_at__isnull=True)
    provider = access.provider_to_act_for(request.user, entry.provider_id)
    form = RemovePatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entries.remove_patient(entry, reason=form.reason_text(), by=request.user, actor=request.actor)
        except ValidationError as exc:
            errors.to_form(form, exc)
        else:
            messages.success(request, f"{entry.patient} has left the panel. The entry is kept with the reason.")
            return redirect("registries:panel", provider_pk=provider.pk)
    audit.record(user=request.user, action="view", obj=entry, actor=request.actor,
                 summary=f"Panel entry of {provider} opened for removal")
    return render(request, "registries/panel_remove.html", {"provider": provider, "entry": entry, "form": form})


@roles.role_required(*roles.CLINIC_ROLES)
def upload_new(request, provider_pk):
    provider = access.provider_to_act_for(request.user, provider_pk)
    form = PanelUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid() and _checks_refused(request):
        return _refused_page(request, provider, "registries/upload_new.html", form,
                             uploads=selectors.uploads_of(provider))
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        upload = uploads.create_upload(provider, data=f.read(), file_name=f.name, by=request.user, actor=request.actor)
        return redirect("registries:upload", pk=upload.pk)
    return render(request, "registries/upload_new.html", {
        "provider": provider, "form": form, "uploads": selectors.uploads_of(provider),
    })


@roles.role_required(*roles.CLINIC_ROLES)
def upload_detail(request, pk):
    upload = access.upload_to_act_for(request.user, pk)
    # The report lists PHNs of the file's rows (conflicts) and its bad rows.
    audit.record(user=request.user, action="view", obj=upload, actor=request.actor,
                 summary=f"Panel upload report of {upload.provider}")
    return render(request, "registries/upload_detail.html", {
        "upload": upload, "provider": upload.provider, "report": upload.report,
        "progress": uploads.get_progress(upload.pk), "restarted": uploads.load_restarted(upload),
    })


@roles.role_required(*roles.CLINIC_ROLES)
def upload_progress(request, pk):
    """The htmx fragment the report page polls while the load runs."""
    upload = access.upload_to_act_for(request.user, pk)
    return render(request, "registries/_upload_progress.html", {
        "upload": upload, "progress": uploads.get_progress(upload.pk), "restarted": uploads.load_restarted(upload),
    })


@require_POST
@roles.role_required(*roles.CLINIC_ROLES)
def upload_load(request, pk):
    upload = access.upload_to_act_for(request.user, pk)
    try:
        uploads.request_load(upload, by=request.user, actor=request.actor)
    except ValidationError as exc:
        errors.flash(request, exc)
    return redirect("registries:upload", pk=upload.pk)


@require_POST
@roles.role_required(*roles.CLINIC_ROLES)
def upload_cancel(request, pk):
    upload = access.upload_to_act_for(request.user, pk)
    try:
        uploads.cancel_upload(upload, by=request.user, actor=request.actor)
    except ValidationError as exc:
        errors.flash(request, exc)
    else:
        messages.success(request, "The upload was cancelled; nothing was loaded.")
    return redirect("registries:upload_new", provider_pk=upload.provider_id)


# --- coordinators ------------------------------------------------------------------

@roles.role_required(roles.COORDINATOR)
def division_panels(request):
    divisions = access.coordinator_divisions(request.user)
    q = request.GET.get("q", "").strip()
    provider_id = request.GET.get("provider") or None
    if provider_id and not str(provider_id).isdigit():
        provider_id = None
    rows, next_cursor = selectors.division_panel_page(divisions, q=q, provider_id=provider_id,
                                                      after=request.GET.get("after"))
    audit.record(user=request.user, action="search" if q else "view", object_type="registries.PanelEntry",
                 actor=request.actor, summary=f"Division panels browsed ({len(rows)} entries shown)", reason=q[:100])
    return render(request, "registries/division_panels.html", {
        "rows": rows, "q": q, "next_cursor": next_cursor, "provider_id": provider_id,
        "providers": access.providers_in_divisions(divisions).order_by("last_name", "first_name"),
        "divisions": divisions, "is_first_page": not request.GET.get("after"),
    })


@roles.role_required(roles.COORDINATOR)
def conflicts(request):
    divisions = access.coordinator_divisions(request.user)
    rows = list(selectors.open_conflicts(divisions)[:200])
    audit.record(user=request.user, action="view", object_type="registries.PanelConflict", actor=request.actor,
                 summary=f"Panel conflicts listed ({len(rows)})")
    return render(request, "registries/conflicts.html", {"rows": rows, "divisions": divisions,
                                                          "form": ResolveConflictForm()})


@require_POST
@roles.role_required(roles.COORDINATOR)
def conflict_resolve(request, pk):
    conflict = selectors.open_conflicts(access.coordinator_divisions(request.user)).filter(pk=pk).first()
    if conflict is None:
        raise Http404("No such open conflict in your divisions.")
    form = ResolveConflictForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose how to resolve the conflict.")
        return redirect("registries:conflicts")
    try:
        review.resolve_conflict(conflict, by=request.user, actor=request.actor, **form.cleaned_data)
    except ValidationError as exc:
        errors.flash(request, exc)
    else:
        messages.success(request, f"Conflict resolved: {PanelConflict.Resolution(form.cleaned_data['resolution']).label}.")
    return redirect("registries:conflicts")


@roles.role_required(roles.COORDINATOR)
def flags(request):
    divisions = access.coordinator_divisions(request.user)
    rows = list(selectors.open_flags(divisions)[:200])
    audit.record(user=request.user, action="view", object_type="registries.WaitlistFlag", actor=request.actor,
                 summary=f"Waitlist flags listed ({len(rows)})")
    return render(request, "registries/flags.html", {"rows": rows, "divisions": divisions, "form": ResolveFlagForm()})


@require_POST
@roles.role_required(roles.COORDINATOR)
def flag_resolve(request, pk):
    flag = get_object_or_404(WaitlistFlag, pk=pk, resolved_at__isnull=True,
                             division__in=access.coordinator_divisions(request.user))
    form = ResolveFlagForm(request.POST)
    form.is_valid()
    review.resolve_flag(flag, note=form.cleaned_data.get("note", ""), by=request.user, actor=request.actor)
    messages.success(request, "Flag reviewed.")
    return redirect("registries:flags")
