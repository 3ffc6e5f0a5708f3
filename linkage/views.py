"""Coordinators' pages: import a local waitlist, read its report, review rows, undo, registry duplicates."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from attachment.core import access, audit, errors, roles
from linkage import duplicates, imports, review, undo
from linkage.forms import LocalListForm, NoteForm, PairForm, ReviewForm
from linkage.localfile import COLUMNS, REQUIRED
from linkage.models import ImportRow

PAGE = 100


def _page(request, queryset):
    return Paginator(queryset, PAGE).get_page(request.GET.get("page"))


@roles.role_required(roles.COORDINATOR)
def import_list(request):
    divisions = access.coordinator_divisions(request.user)
    form = LocalListForm(request.POST or None, request.FILES or None, divisions=divisions)
    if request.method == "POST" and form.is_valid():
        division = access.division_to_import_into(request.user, form.cleaned_data["division"].pk)
        f = form.cleaned_data["file"]
        upload = imports.create_import(division, data=f.read(), file_name=f.name, actor=request.actor)
        return redirect("linkage:import", pk=upload.pk)
    return render(request, "linkage/imports.html", {
        "form": form, "uploads": access.coordinator_imports(request.user).select_related("division", "uploaded_by")[:50],
        "required": REQUIRED, "columns": COLUMNS, "pending": review.queue(divisions).count(),
        "pairs": duplicates.queue(divisions).count(),
    })


@roles.role_required(roles.COORDINATOR)
def import_detail(request, pk):
    upload = access.import_to_act_for(request.user, pk)
    # The report's problems quote the file's values (names, dates of birth) by line.
    audit.record(action="view", obj=upload, actor=request.actor, summary=f"Local waitlist report of {upload.division}")
    return render(request, "linkage/import_detail.html", {
        "upload": upload, "report": upload.report, "figures": upload.figures,
        "outcomes": review.outcomes(upload) if upload.status == "imported" else None,
        "progress": imports.get_progress(upload.pk),
    })


@roles.role_required(roles.COORDINATOR)
def import_progress(request, pk):
    upload = access.import_to_act_for(request.user, pk)
    return render(request, "linkage/_import_progress.html", {
        "upload": upload, "figures": upload.figures, "progress": imports.get_progress(upload.pk),
    })


@require_POST
@roles.role_required(roles.COORDINATOR)
def import_run(request, pk):
    upload = access.import_to_act_for(request.user, pk)
    try:
        imports.request_import(upload, actor=request.actor)
    except ValidationError as exc:
        errors.flash(request, exc)
    return redirect("linkage:import", pk=upload.pk)


@require_POST
@roles.role_required(roles.COORDINATOR)
def import_cancel(request, pk):
    upload = access.import_to_act_for(request.user, pk)
    try:
        imports.cancel_import(upload, actor=request.actor)
    except ValidationError as exc:
        errors.flash(request, exc)
    else:
        messages.success(request, "The import was cancelled; nothing was written.")
    return redirect("linkage:imports")


@roles.role_required(roles.COORDINATOR)
def import_rows(request, pk):
    """Every row of an import with its decision and outcome (paged), each to review or undo."""
    upload = access.import_to_act_for(request.user, pk)
    outcome = request.GET.get("outcome", "")
    rows = ImportRow.objects.filter(upload=upload).select_related("registration", "community").order_by("line")
    if outcome in ImportRow.Outcome.values:
        rows = rows.filter(outcome=outcome)
    page = _page(request, rows)
    audit.record(action="view", obj=upload, actor=request.actor,
                 summary=f"Rows of a local waitlist import ({len(page.object_list)} shown)", reason=outcome)
    return render(request, "linkage/import_rows.html", {
        "upload": upload, "page": page, "outcome": outcome, "outcomes": ImportRow.Outcome.choices,
        "undoable": undo.UNDOABLE,
    })


@roles.role_required(roles.COORDINATOR)
def review_queue(request):
    divisions = access.coordinator_divisions(request.user)
    page = _page(request, review.queue(divisions))
    audit.record(action="view", object_type="linkage.ImportRow", actor=request.actor,
                 summary=f"Local list review queue ({len(page.object_list)} rows shown)")
    return render(request, "linkage/review_queue.html", {"page": page, "divisions": divisions})


@roles.role_required(roles.COORDINATOR)
def review_row(request, pk):
    row = access.import_row_to_review(request.user, pk)
    candidates = review.candidates(row, set(access.coordinator_divisions(request.user).values_list("pk", flat=True)))
    earlier = ImportRow.objects.filter(upload=row.upload, outcome__in=[
        ImportRow.Outcome.MERGED, ImportRow.Outcome.ATTACHED, ImportRow.Outcome.REGISTERED]).order_by("line")[:500]
    form = ReviewForm(request.POST or None, candidates=candidates, rows=earlier)
    if request.method == "POST" and row.outcome == ImportRow.Outcome.PENDING and form.is_valid():
        data = form.cleaned_data
        try:
            review.decide(row, choice=data["choice"], person_id=data.get("person"), same_as_id=data.get("same_as"),
                          note=data.get("note", ""), actor=request.actor)
        except ValidationError as exc:
            errors.to_form(form, exc)
        else:
            messages.success(request, f"Line {row.line} decided.")
            following = review.queue(access.coordinator_divisions(request.user)).filter(upload=row.upload).first()
            return redirect("linkage:review", pk=following.pk) if following else redirect("linkage:queue")
    audit.record(action="view", obj=row, actor=request.actor,
                 summary="Local list row beside candidates (patients "
                         + (", ".join(str(c.person.pk) for c in candidates) or "none") + ") for review")
    return render(request, "linkage/review.html", {"row": row, "candidates": candidates, "form": form,
                                                   "row_against": review.split_evidence(row.evidence)[1]})


@roles.role_required(roles.COORDINATOR)
def undo_row(request, pk):
    row = access.import_row_to_review(request.user, pk)
    form = NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            done = undo.undo_row(row, note=form.cleaned_data["note"], actor=request.actor)
        except ValidationError as exc:
            errors.to_form(form, exc)
        else:
            messages.success(request, f"Undone: {len(done)} row{'s' if len(done) != 1 else ''} back in the review queue.")
            return redirect("linkage:review", pk=row.pk)
    audit.record(action="view", obj=row, actor=request.actor, summary="Local list row opened to undo")
    return render(request, "linkage/undo.html", {"row": row, "form": form, "undoable": row.outcome in undo.UNDOABLE})


@roles.role_required(roles.COORDINATOR)
def duplicate_list(request):
    divisions = access.coordinator_divisions(request.user)
    page = _page(request, duplicates.queue(divisions))
    audit.record(action="view", object_type="linkage.DuplicatePair", actor=request.actor,
                 summary=f"Probable duplicates listed ({len(page.object_list)} shown)")
    return render(request, "linkage/duplicates.html", {"page": page, "divisions": divisions})


@roles.role_required(roles.COORDINATOR)
def duplicate_detail(request, pk):
    pair = access.duplicate_pair_to_review(request.user, pk)
    form = PairForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        decide = duplicates.merge_pair if form.cleaned_data["decision"] == "merge" else duplicates.mark_distinct
        try:
            decide(pair, note=form.cleaned_data["note"], actor=request.actor)
        except ValidationError as exc:
            errors.to_form(form, exc)
        else:
            messages.success(request, "Decided.")
            return redirect("linkage:duplicate", pk=pair.pk)
    audit.record(action="view", obj=pair, actor=request.actor, summary="Probable duplicate pair opened")
    pro, con = review.split_evidence(pair.evidence)
    return render(request, "linkage/duplicate.html", {"pair": pair, "form": form, "pro": pro, "con": con})


@require_POST
@roles.role_required(roles.COORDINATOR)
def duplicate_undo(request, pk):
    pair = access.duplicate_pair_to_review(request.user, pk)
    form = NoteForm(request.POST)
    form.is_valid()
    try:
        duplicates.undo_merge(pair, note=form.cleaned_data.get("note", ""), actor=request.actor)
    except ValidationError as exc:
        errors.flash(request, exc)
    else:
        messages.success(request, "The merge was undone; both registrations are as they were.")
    return redirect("linkage:duplicate", pk=pair.pk)
