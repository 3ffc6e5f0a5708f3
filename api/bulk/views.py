"""FHIR Bulk Data export (the async request pattern), for systems and people with panels in scope.

    GET /fhir/$export                 every panel in the caller's scope  -> 202, Content-Location
    GET /fhir/Group/{id}/$export      one provider's panel (Group id = provider id)
    GET /fhir/bulk/{export}           202 + X-Progress while it runs; 200 + the manifest; DELETE cancels
    GET /fhir/bulk/{export}/{Type}.ndjson   the files: the requester's alone, until they expire

The kick-off follows the Bulk Data spec's request headers: `Prefer: respond-async` is
required (without it: 400, an OperationOutcome naming the header), and `Accept`, when
given, must admit application/fhir+json (a wildcard does; none at all is taken as it).

Errors are FHIR OperationOutcomes. Scope is the access module's: `panel_readable_providers`
(the system-level export), `panel_to_read` (a Group), `bulk_export_of` (the requester's own).
"""

from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api.bulk import services
from api.models import BulkExport
from api.permissions import role
from attachment.core import access, audit, roles
from attachment.core.errors import text

PANEL_READERS = roles.CLINIC_ROLES + (roles.COORDINATOR,)
FHIR_JSON = "application/fhir+json"
NDJSON = "application/fhir+ndjson"
OUTPUT_FORMATS = {NDJSON, "application/ndjson", "ndjson"}
ACCEPTABLE = {FHIR_JSON, "*/*", "application/*"}


def asks_async(prefer: str) -> bool:
    """Whether a Prefer header holds the respond-async preference (among others, any case)."""
    return any(p.split("=")[0].strip().lower() == "respond-async"
               for part in prefer.split(",") for p in part.split(";"))


def accepts_fhir_json(accept: str) -> bool:
    """An absent Accept is taken as application/fhir+json; a given one must admit it."""
    if not accept.strip():
        return True
    return any(part.split(";")[0].strip().lower() in ACCEPTABLE for part in accept.split(","))


class FhirJSONRenderer(JSONRenderer):
    media_type = "application/fhir+json"
    format = "fhir"


def operation_outcome(status_code: int, message: str, *, code: str = "processing", expression=None):
    issue = {"severity": "error" if status_code < 500 else "fatal", "code": code, "diagnostics": message}
    if expression:
        issue["expression"] = [expression]
    return Response({"resourceType": "OperationOutcome", "issue": [issue]}, status=status_code)


def _outcome_handler(exc, context):
    """Every error of these views as an OperationOutcome, naming the parameter at fault."""
    from django.core.exceptions import ValidationError

    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            (name, errors), *_ = exc.error_dict.items()
            return operation_outcome(400, " ".join(m for e in errors for m in e.messages), code="invalid",
                                     expression=name)
        return operation_outcome(409, text(exc), code="conflict")
    if isinstance(exc, Http404):
        return operation_outcome(404, str(exc) or "Not found.", code="not-found")
    if isinstance(exc, exceptions.NotAcceptable):
        return operation_outcome(406, f"Attach answers in {FHIR_JSON} (the files in {NDJSON}): "
                                      f"send Accept: {FHIR_JSON}, or none.",
                                 code="not-supported", expression="Accept")
    if isinstance(exc, exceptions.Throttled):
        response = operation_outcome(429, str(exc.detail), code="throttled")
        if exc.wait:
            response["Retry-After"] = str(int(exc.wait))
        return response
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        response = operation_outcome(401, str(exc.detail), code="login")
        response["WWW-Authenticate"] = 'Bearer realm="attach"'
        return response
    if isinstance(exc, exceptions.APIException):
        return operation_outcome(exc.status_code, str(exc.detail), code="forbidden" if exc.status_code == 403
                                 else "processing")
    return None


class NDJSONRenderer(JSONRenderer):
    """Lets a file request say `Accept: application/fhir+ndjson` (the spec's default); the
    file itself is streamed as it was written."""

    media_type = NDJSON
    format = "ndjson"


class _BulkView(APIView):
    renderer_classes = [FhirJSONRenderer, JSONRenderer]
    permission_classes = [role(*PANEL_READERS)]

    def get_exception_handler(self):
        return _outcome_handler


class _KickOff(_BulkView):
    def providers(self, request, **kwargs):
        raise NotImplementedError

    @extend_schema(exclude=True)
    def get(self, request, **kwargs):
        if not accepts_fhir_json(request.headers.get("Accept", "")):
            raise exceptions.NotAcceptable()
        if not asks_async(request.headers.get("Prefer", "")):
            return operation_outcome(400, "A bulk export is asynchronous: send the header Prefer: respond-async.",
                                     code="required", expression="Prefer")
        output_format = request.GET.get("_outputFormat")
        if output_format and output_format not in OUTPUT_FORMATS:
            raise services.ExportError({"_outputFormat": "Attach writes application/fhir+ndjson only."})
        types = services.parse_types(request.GET.get("_type"))
        since = services.parse_since(request.GET.get("_since"))
        provider_ids, group = self.providers(request, **kwargs)
        export = services.request_export(user=request.user, provider_ids=provider_ids, types=types, since=since,
                                         group=group, request_url=request.build_absolute_uri(),
                                         actor=request.actor)
        response = Response(status=status.HTTP_202_ACCEPTED)
        response["Content-Location"] = request.build_absolute_uri(reverse("bulk:status", args=[export.pk]))
        return response


class SystemExport(_KickOff):
    """Every panel the caller may read."""

    def providers(self, request):
        return list(access.panel_readable_providers(request.user).values_list("pk", flat=True)), None


class GroupExport(_KickOff):
    """One provider's panel: the FHIR Group whose id is the provider's."""

    def providers(self, request, group_id):
        provider = access.panel_to_read(request.user, group_id)
        return [provider.pk], provider


class ExportStatus(_BulkView):
    @extend_schema(exclude=True)
    def get(self, request, export_id):
        export = access.bulk_export_of(request.user, export_id)
        if export.status in (BulkExport.Status.QUEUED, BulkExport.Status.RUNNING):
            response = Response(status=status.HTTP_202_ACCEPTED)
            response["X-Progress"] = export.progress or export.get_status_display()
            response["Retry-After"] = "2"
            return response
        if export.status == BulkExport.Status.FAILED:
            return operation_outcome(500, export.error or "The export failed.", code="exception")
        if export.status != BulkExport.Status.COMPLETED or export.expires_at <= timezone.now():
            raise Http404("This export has expired or was deleted; ask for a new one.")
        response = Response({
            "transactionTime": export.transaction_time.isoformat().replace("+00:00", "Z"),
            "request": export.request_url,
            "requiresAccessToken": True,
            "output": [{"type": o["type"], "count": o["count"], "url": request.build_absolute_uri(
                reverse("bulk:file", args=[export.pk, o["type"]]))} for o in export.output],
            "error": [],
        }, content_type="application/json")
        response["Expires"] = export.expires_at.strftime("%a, %d %b %Y %H:%M:%S GMT")
        return response

    @extend_schema(exclude=True)
    def delete(self, request, export_id):
        services.cancel_export(access.bulk_export_of(request.user, export_id), actor=request.actor)
        return Response(status=status.HTTP_202_ACCEPTED)


class ExportFile(_BulkView):
    renderer_classes = [NDJSONRenderer, FhirJSONRenderer, JSONRenderer]

    @extend_schema(exclude=True)
    def get(self, request, export_id, resource_type):
        export = access.bulk_export_of(request.user, export_id)
        listed = {o["type"]: o for o in export.output}
        if (export.status != BulkExport.Status.COMPLETED or export.expires_at <= timezone.now()
                or resource_type not in listed):
            raise Http404("No such file: the export has expired, was deleted, or has no such type.")
        path = services.file_path(export, resource_type)
        if not path.exists():
            raise Http404("No such file.")
        audit.record(action="export", obj=export, actor=request.actor,
                     summary=f"Bulk export file {resource_type}.ndjson downloaded "
                             f"({listed[resource_type]['count']} resources)")
        return FileResponse(path.open("rb"), content_type="application/fhir+ndjson")
