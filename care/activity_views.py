"""The activity report's pages: on screen (tables and charts, prints as an annual report)
and as CSV. Care coordinators read their own PCNs exactly, with a table by coordinator;
division managers read their divisions as suppressed aggregates (care.activity). Scope is
access.activity_pcns / activity_divisions: anything else is a 404. Nobody's record is shown."""

import csv

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from attachment.core import access, audit, roles
from care import activity as report_data
from registries.models import PCN

ALLOWED = (roles.CARE_COORDINATOR, roles.MANAGER)


class ActivityForm(forms.Form):
    year = forms.TypedChoiceField(coerce=int)
    month = forms.TypedChoiceField(label="Month", coerce=int, required=False, empty_value=None,
                                   choices=[("", "The whole year")] + [(str(n), m) for n, m in
                                                                       enumerate(report_data.MONTHS, 1)])
    division = forms.ModelChoiceField(queryset=None, required=False, empty_label=None)
    pcn = forms.ModelChoiceField(queryset=None, label="PCN", required=False, empty_label="All")

    def __init__(self, data, *, user, manager):
        super().__init__(data)
        this_year = timezone.localdate().year
        self.fields["year"].choices = [(str(y), str(y)) for y in range(this_year, this_year - 4, -1)]
        self.fields["year"].initial = this_year
        self.manager = manager
        if manager:
            self.fields["division"].queryset = access.activity_divisions(user)
            self.fields["pcn"].queryset = access.activity_pcns(user)
        else:
            del self.fields["division"]
            self.fields["pcn"].queryset = access.activity_pcns(user)

    def clean(self):
        data = super().clean()
        if self.manager:
            division = data.get("division") or self.fields["division"].queryset.first()
            if division is None:
                raise forms.ValidationError("No division is assigned to you yet.")
            data["division"] = division
            if data.get("pcn") and data["pcn"].division_id != division.pk:
                self.add_error("pcn", "Choose a PCN of the division.")
        return data


def _build(request):
    """(form, report) for the request, scope checked; report None when the form is invalid."""
    manager = not roles.has_role(request.user, roles.CARE_COORDINATOR)
    data = request.GET.copy()
    data.setdefault("year", str(timezone.localdate().year))
    form = ActivityForm(data, user=request.user, manager=manager)
    if not form.is_valid():
        if any(name in form.errors for name in ("division", "pcn")):
            raise Http404("No such division or PCN in your reports.")
        return form, None, None
    d = form.cleaned_data
    period = report_data.Period(d["year"], d["month"])
    pcn = d.get("pcn")
    if manager:
        division = d["division"]
        # The whole division's PCNs are protected together whichever one is shown.
        pcn_ids = list(PCN.objects.filter(division=division).values_list("pk", flat=True))
        figures = report_data.figures(pcn_ids, period)
        label = pcn.name if pcn else division.name
        report = report_data.manager_report(figures, pcn_id=pcn.pk if pcn else None,
                                         title=f"Care coordination activity: {label}, {period.label}")
    else:
        pcn_ids = [pcn.pk] if pcn else list(access.care_pcns(request.user).values_list("pk", flat=True))
        figures = report_data.figures(pcn_ids, period)
        label = pcn.name if pcn else ", ".join(access.care_pcns(request.user).values_list("name", flat=True))
        report = report_data.coordinator_report(figures, pcn_id=pcn.pk if pcn else None,
                                             title=f"Care coordination activity: {label}, {period.label}")
        report.tables.insert(1, report_data.coordinator_table(pcn_ids, period))
    return form, report, label


@roles.role_required(*ALLOWED)
def activity(request):
    form, report, label = _build(request)
    if report is not None:
        audit.record(action="view", object_type="care.activity", actor=request.actor,
                     summary=f"Care activity report: {report.title}")
    return render(request, "care/activity.html", {
        "form": form, "report": report, "query": request.GET.urlencode(), "label": label,
        "filters": _filters(form) if report else [],
    })


def _filters(form):
    d = form.cleaned_data
    out = [("Year", d["year"]), ("Month", report_data.MONTHS[d["month"] - 1] if d.get("month") else "The whole year")]
    if "division" in d:
        out.append(("Division", d["division"]))
    out.append(("PCN", d.get("pcn") or "All"))
    return out


@roles.role_required(*ALLOWED)
def activity_csv(request):
    form, report, _ = _build(request)
    if report is None:
        raise Http404("Invalid filters.")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="care-activity-{report.period.label.replace(" ", "-")}.csv"'
    writer = csv.writer(response)
    writer.writerow([report.title])
    for table in report.tables:
        writer.writerow([])
        writer.writerow([table.caption])
        writer.writerow(table.columns)
        writer.writerows(table.rows)
        if table.total:
            writer.writerow(table.total)
    if report.suppressed:
        writer.writerow([])
        writer.writerow(['"<10" = a count from 1 to 9; "x" = withheld so that a small count cannot be worked back.'])
    audit.record(action="export", object_type="care.activity", actor=request.actor,
                 summary=f"CSV of the care activity report: {report.title}")
    return response
