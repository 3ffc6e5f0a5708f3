"""Report figures (division managers and coordinators): the dashboard's tables, suppressed as on the page."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import role
from api.serializers import ReportsSerializer
from api.views.base import form_or_400
from attachment.core import access, roles
from reports import selectors
from reports.forms import ReportFilterForm


def _plain(value):
    return value if isinstance(value, (int, float, str)) or value is None else str(value)


class ReportsView(APIView):
    """The figures of one division (or one of its PCNs or communities) from its latest snapshot.

    They come from reports.selectors, so every small count is already withheld exactly as
    the dashboard withholds it: no figure here is one the page would not show.
    """

    permission_classes = [role(roles.MANAGER, roles.COORDINATOR)]

    @extend_schema(responses=ReportsSerializer, parameters=[
        OpenApiParameter("division", int), OpenApiParameter("pcn", int), OpenApiParameter("community", int),
        OpenApiParameter("weeks", int, enum=[w for w, _ in selectors.PERIODS]),
        OpenApiParameter("by", str, enum=[g for g, _ in selectors.GRANULARITY]),
    ])
    def get(self, request):
        divisions = access.manager_divisions(request.user)
        wanted = request.GET.get("division")
        if wanted and not divisions.filter(pk=wanted if str(wanted).isdigit() else None).exists():
            raise Http404("No such division in your reports.")
        if not divisions.exists():
            raise Http404("No division in your reports.")
        cleaned = form_or_400(ReportFilterForm(request.GET, divisions=divisions))
        division = cleaned["division"]
        snapshot = selectors.latest_snapshot(division.pk)
        body = {"division": division.pk, "area": str(division), "weeks": cleaned["weeks"],
                "by": cleaned.get("by") or "week", "built_at": None, "reports": []}
        if snapshot is not None:
            scope = selectors.Scope(snapshot=snapshot, weeks=cleaned["weeks"], by=body["by"],
                                    pcn=cleaned["pcn"].pk if cleaned.get("pcn") else None,
                                    community=cleaned["community"].pk if cleaned.get("community") else None)
            body["area"], body["built_at"] = scope.label, snapshot.built_at
            body["reports"] = [{
                "key": report.key, "title": report.title, "summary": report.summary,
                "notes": [str(n) for n in report.notes],
                "tables": [{"caption": t.caption, "columns": [str(c) for c in t.columns],
                            "rows": [[_plain(v) for v in row] for row in t.rows],
                            "total": [_plain(v) for v in t.total] if t.total else None} for t in report.tables],
            } for report in selectors.all_reports(scope)]
        return Response(ReportsSerializer(body).data)
