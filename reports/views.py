"""The reports workspace: division managers and coordinators, aggregates of their divisions only.

Every view here is `role_required(MANAGER, COORDINATOR)` and resolves the division
against `access.manager_divisions(user)`: a division outside it is a 404, whatever the
URL says. Pages show snapshots through reports.selectors (suppressed); nothing here
reads a person's record.
"""

import csv
import datetime

from celery.result import AsyncResult
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from attachment.core import access, audit, roles, unavailable
from attachment.core.models import JobRun
from reports import forecast as fc
from reports import selectors
from reports import suppression as sup
from reports.forms import ForecastForm, ReportFilterForm
from reports.tasks import build_division_snapshot

ALLOWED = (roles.MANAGER, roles.COORDINATOR)
JOBS_SHOWN = [
    ("report_snapshot", "Report snapshots"),
    ("capacity_refresh", "Capacity refresh"),
    ("offer_expiry", "Offer expiry"),
]


def _scope_form(request, form_class=ReportFilterForm):
    divisions = access.manager_divisions(request.user)
    wanted = request.GET.get("division")
    if wanted and not divisions.filter(pk=wanted if str(wanted).isdigit() else None).exists():
        raise Http404("No such division in your reports.")
    return form_class(request.GET, divisions=divisions), divisions


def _scope(form):
    cleaned = form.cleaned_data
    snapshot = selectors.latest_snapshot(cleaned["division"].pk)
    if snapshot is None:
        return None
    return selectors.Scope(
        snapshot=snapshot,
        weeks=cleaned["weeks"],
        by=cleaned.get("by") or "week",
        pcn=cleaned["pcn"].pk if cleaned.get("pcn") else None,
        community=cleaned["community"].pk if cleaned.get("community") else None,
    )


@roles.role_required(*ALLOWED)
def dashboard(request):
    """Charts and tables of one division (or one of its PCNs or communities)."""
    form, divisions = _scope_form(request)
    context = {"form": form, "divisions": divisions, "reports": [], "scope": None}
    if form.is_valid():
        scope = _scope(form)
        context["division"] = form.cleaned_data["division"]
        if scope is not None:
            context["scope"] = scope
            context["reports"] = selectors.all_reports(scope)
            context["query"] = request.GET.urlencode()
            context["filters"] = _filters_in_words(form)
    if roles.has_role(request.user, roles.ADMINISTRATOR) or request.user.is_staff:
        context["jobs"] = _last_jobs()
    return render(request, "reports/dashboard.html", context)


def _filters_in_words(form):
    """[(label, value)] of every filter as the reader chose it, for the printout."""
    cleaned = form.cleaned_data
    out = [("Division", cleaned["division"]), ("PCN", cleaned.get("pcn") or "All PCNs"),
           ("Community", cleaned.get("community") or "All communities")]
    for name in ("weeks", "by"):
        if name in form.fields:
            out.append((form.fields[name].label, dict(form.fields[name].choices)[cleaned[name]]))
    if "extra" in form.fields:
        out.append(("Extra places a month", cleaned["extra"]))
    return out


def _last_jobs():
    out = []
    for name, label in JOBS_SHOWN:
        out.append((label, JobRun.objects.filter(name=name).order_by("-started_at").first()))
    return out


@roles.role_required(*ALLOWED)
def export_csv(request, key):
    """One report's tables as CSV: the same suppressed figures the page shows (audited)."""
    if key not in selectors.REPORTS:
        raise Http404
    form, _ = _scope_form(request)
    if not form.is_valid():
        raise Http404("Invalid filters.")
    scope = _scope(form)
    if scope is None:
        raise Http404("No snapshot yet.")
    report = selectors.REPORTS[key](scope)
    if report is None:
        raise Http404
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"{key}-{scope.snapshot.division.slug}-{scope.snapshot.as_of:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    for i, table in enumerate(report.tables):
        if i:
            writer.writerow([])
            writer.writerow([table.caption])
        writer.writerow(table.columns)
        writer.writerows(table.rows)
        if table.total:
            writer.writerow(table.total)
    writer.writerow([])
    period = dict(selectors.PERIODS)[scope.weeks].lower()
    writer.writerow([f"{report.title}: {scope.label}, {period}, snapshot of {scope.snapshot.as_of:%Y-%m-%d}"])
    writer.writerow(['"<10" = a count from 1 to 9; "x" = withheld so that a small count cannot be worked back.'])
    audit.record(
        user=request.user, action="export", obj=scope.snapshot, actor=request.actor,
        summary=f"CSV of report '{key}' for {scope.label} ({scope.weeks} weeks)",
    )
    return response


@roles.role_required(*ALLOWED)
def forecast(request):
    """When today's waitlist would clear at recent rates, and with N more places a month."""
    form, _ = _scope_form(request, ForecastForm)
    context = {"form": form}
    if form.is_valid():
        scope = _scope(form)
        context["scope"] = scope
        if scope is not None:
            context.update(_forecast_context(scope, form.cleaned_data["extra"]))
            context["filters"] = _filters_in_words(form)
    return render(request, "reports/forecast.html", context)


def _forecast_context(scope, extra):
    per = scope.data["by_community"]
    picked = scope.communities()
    waiting = sum(per[c]["waiting"] for c in picked)
    people = sum(per[c]["waiting_people"] for c in picked)
    # Rates over the period chosen; when fewer than 10 households joined or left in it
    # (too few to publish, or to draw a line through), over the next longer period the
    # snapshot holds, so that a quiet division still gets its forecast. The page says
    # which weeks it used.
    for weeks in [w for w, _ in selectors.PERIODS if w >= scope.weeks]:
        days = weeks * 7
        joined = sum(sum(per[c]["joins"][-days:]) for c in picked)
        left = sum(sum(per[c]["leaves"][-days:]) for c in picked)
        attached = sum(sum(per[c]["att"][-days:]) for c in picked)
        if joined >= sup.THRESHOLD and left >= sup.THRESHOLD:
            break
    figures = {"waiting": sup.cell(waiting), "people": sup.cell(people), "joined": sup.cell(joined),
               "left": sup.cell(left), "attached": sup.cell(attached)}
    context = {"figures": figures, "weeks": weeks, "widened": weeks != scope.weeks,
               "assumptions": fc.assumptions(weeks), "whole_division": scope.node == "d"}
    # A projection from a small count would give the count away (its start and its slope).
    if any(sup.is_small(n) for n in (waiting, joined, left)):
        return {**context, "too_small": True}
    result = fc.forecast(
        waiting=waiting, joined=joined, left=left, people_per_household=(people / waiting) if waiting else 1,
        extra_places_per_month=extra, today=datetime.date.fromisoformat(scope.data["as_of"]), weeks=weeks,
    )
    longest = max(len(s.series) for s in result["scenarios"])
    step = max(1, longest // 60)
    weeks = list(range(0, longest, step))
    chart = {
        "type": "line",
        "labels": [f"Week {w}" for w in weeks],
        "datasets": [
            {"label": s.label, "data": [s.series[w] if w < len(s.series) else 0 for w in weeks]}
            for s in result["scenarios"]
        ],
    }
    return {
        **context,
        "result": result,
        "outcomes": [(s, fc.describe(s)) for s in result["scenarios"]],
        "chart": chart,
        "extra": extra,
    }


@require_POST
@roles.role_required(*ALLOWED)
def refresh(request):
    """Queue a fresh snapshot of one division; the page then polls its progress."""
    divisions = access.manager_divisions(request.user)
    division = divisions.filter(pk=request.POST.get("division") if str(request.POST.get("division", "")).isdigit() else None).first()
    if division is None:
        raise Http404
    result = unavailable.enqueue(build_division_snapshot, division.pk)
    # Only the division's readers may poll this task: remember whose it is for a day.
    cache.set(f"reports:refresh:{result.id}", division.pk, 24 * 3600)
    if not request.headers.get("HX-Request"):
        messages.info(request, "A fresh snapshot is being built. Reload this page in a minute to see it.")
        return redirect(f"{reverse('reports:dashboard')}?division={division.pk}")
    return render(request, "reports/_refresh_status.html", _status_context(result.id, division))


@roles.role_required(*ALLOWED)
def refresh_status(request, task_id):
    division_id = cache.get(f"reports:refresh:{task_id}")
    division = access.manager_divisions(request.user).filter(pk=division_id).first() if division_id else None
    if division is None:
        raise Http404
    return render(request, "reports/_refresh_status.html", _status_context(task_id, division))


def _status_context(task_id, division):
    result = AsyncResult(task_id)
    state = result.state
    info = result.info if isinstance(result.info, dict) else {}
    done = state in ("SUCCESS", "FAILURE", "REVOKED")
    return {
        "task_id": task_id, "division": division, "state": state, "done": done,
        "step": info.get("step", ""), "progress": info.get("done", 0), "total": info.get("total", 7),
        "failed": state in ("FAILURE", "REVOKED"),
    }
