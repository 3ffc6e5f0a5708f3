"""The open monthly figures (/figures/, no login): the stored, already suppressed figures of
the latest month built (reports.figures), as tables, a chart and a CSV."""

import csv

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.cache import cache_control

from reports import figures

FIGURE_LABELS = {
    "waiting": "People waiting at the end of the month",
    "on_list": "People on the list during the month",
    "new": "Joined the list (new registrations and people back on it)",
    "attached": "Attached to a provider",
    "removed": "Left the list for other reasons",
    **{f"removed_{key}": f"Left: {label.lower()}" for key, label in figures.REASONS},
    "net": "Net change in people waiting",
}

# The labels above, figures.REASONS and figures.GROUPS are translated when a page is built
# (`_(label)`); makemessages reads only literal strings, so they are marked here (h-i18n).
_TRANSLATED_LABELS = [
    gettext_noop("People waiting at the end of the month"),
    gettext_noop("People on the list during the month"),
    gettext_noop("New registrations (people)"),
    gettext_noop("Back on the list"),
    gettext_noop("Joined the list (new registrations and people back on it)"),
    gettext_noop("Attached to a provider"),
    gettext_noop("Left the list for other reasons"),
    gettext_noop("Net change in people waiting"),
    gettext_noop("Left: found a provider elsewhere"),
    gettext_noop("Left: no longer needs a provider"),
    gettext_noop("Left: moved away"),
    gettext_noop("Left: not eligible"),
    gettext_noop("Left: other reasons"),
    gettext_noop("Found a provider elsewhere"),
    gettext_noop("No longer needs a provider"),
    gettext_noop("Moved away"),
    gettext_noop("Not eligible"),
    gettext_noop("Other reasons"),
    gettext_noop("Everyone"),
    gettext_noop("Priority 4 or more"),
    gettext_noop("Priority 1 to 3"),
    gettext_noop("No priority factors"),
]


def _labels():
    return {key: _(label) for key, label in FIGURE_LABELS.items()}


def _area(data, request):
    area = request.GET.get("area") or "p"
    if area not in data["areas"]:
        raise Http404(_("No such area."))
    return area


def _chart_value(value):
    return value if isinstance(value, int) else None


@cache_control(public=True, max_age=3600)
def index(request):
    snapshot = figures.latest()
    if snapshot is None:
        return render(request, "reports/figures.html", {"snapshot": None})
    data = snapshot.data
    area = _area(data, request)
    info, series, labels = data["areas"][area], data["series"][area], _labels()
    months = data["months"]
    keys = ["waiting", "new", "attached", "removed", "net"]
    month_rows = [[month, *[series[k][i] for k in keys]] for i, month in enumerate(months)]
    year = series["year"]
    year_row = [_("The 12 months"), series["waiting"][-1], *[year[k] for k in keys[1:]]]
    reasons = [[_(label), *series[f"removed_{key}"], year[f"removed_{key}"]] for key, label in figures.REASONS]
    last = len(months) - 1
    children = [
        {"id": c, "name": data["areas"][c]["name"], "values": [data["series"][c][k][last] for k in keys]}
        for c in data["children"].get(area, [])
    ]
    trail, up = [], info["parent"]
    while up:
        trail.insert(0, {"id": up, "name": data["areas"][up]["name"]})
        up = data["areas"][up]["parent"]
    waits = data["waits"].get(area, {})
    wait_rows = [[_(label), *(waits.get(key, {}).get("waiting") or [None, None]),
                  *(waits.get(key, {}).get("attached") or [None, None])] for key, label in figures.GROUPS]
    chart = {
        "type": "bar", "labels": months,
        "datasets": [
            {"label": labels["new"], "data": [_chart_value(v) for v in series["new"]]},
            {"label": labels["attached"], "data": [_chart_value(v) for v in series["attached"]]},
            {"label": labels["removed"], "data": [_chart_value(v) for v in series["removed"]]},
        ],
    }
    waiting_chart = {"type": "line", "labels": months,
                     "datasets": [{"label": labels["waiting"], "data": [_chart_value(v) for v in series["waiting"]]}]}
    level_names = {"province": _("Province"), "health_authority": _("Health authority"), "division": _("Division"),
                   "community": _("Community")}
    choices = [(a, f"{level_names[i['level']]}: {i['name']}") for a, i in data["areas"].items()]
    return render(request, "reports/figures.html", {
        "snapshot": snapshot, "data": data, "area": area, "info": info, "trail": trail,
        "level": level_names[info["level"]], "columns": [labels[k] for k in keys], "month_rows": month_rows,
        "year_row": year_row, "reasons": reasons, "children": children, "child_level": level_names.get(
            data["areas"][children[0]["id"]]["level"]) if children else None,
        "wait_rows": wait_rows, "flows_chart": chart, "waiting_chart": waiting_chart, "choices": choices,
    })


@cache_control(public=True, max_age=3600)
def csv_download(request):
    """Every area, month and figure, as published (the same "<10" and "x" as the page)."""
    snapshot = figures.latest()
    if snapshot is None:
        raise Http404(_("No figures have been built yet."))
    data = snapshot.data
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="attach-open-figures-{data["month"]}.csv"'
    out = csv.writer(response)
    out.writerow(["# Health Connect Registry open figures", f"month described: {data['month']}",
                  f"built: {snapshot.built_at.isoformat(timespec='seconds')}",
                  "people; <10 = 1 to 9; x = withheld so that a small figure cannot be worked out; "
                  "empty = not published at this level (a community's monthly flows, a division's monthly joined "
                  "and removed: see their 12 months)"])
    out.writerow(["level", "area", "parent", "month", "figure", "value"])
    keys = [*figures.FIGURES, "net"]
    for a, info in data["areas"].items():
        parent = data["areas"][info["parent"]]["name"] if info["parent"] else ""
        for i, month in enumerate(data["months"]):
            for k in keys:
                value = data["series"][a][k][i]
                out.writerow([info["level"], info["name"], parent, month, k, "" if value is None else value])
        for k, value in data["series"][a]["year"].items():
            out.writerow([info["level"], info["name"], parent, f"12 months to {data['month']}", k, value])
    out.writerow([])
    out.writerow(["level", "area", "priority group", "who", "median days", "90th percentile days"])
    for a, groups in data["waits"].items():
        info = data["areas"][a]
        for group, kinds in groups.items():
            for who, (median, p90) in kinds.items():
                out.writerow([info["level"], info["name"], group, who, "" if median is None else median,
                              "" if p90 is None else p90])
    return response
