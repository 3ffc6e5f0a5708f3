"""The FHIR R4 REST interface at /fhir/: metadata, read, search, $process-message.

DRF views with the project's default authentication (sessions for people, OAuth 2
bearer tokens for systems): the Actor is made again once DRF has authenticated, so a
token's client is who the audit trail names. Scope comes from `access` only, through the
resource table in `fhir.kinds`; every read or search of a person's records is audited.
Every error is an OperationOutcome.
"""

from __future__ import annotations

import json

from django.http import Http404
from django.http.request import RawPostDataException
from rest_framework import exceptions
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from attachment.core import audit
from attachment.core.audit import Actor
from fhir import kinds, mapping, messages
from fhir.rendering import FHIR_JSON, FHIRJSONParser, FHIRJSONRenderer
from fhir.search import SearchError, paging


class FHIRView(APIView):
    renderer_classes = [FHIRJSONRenderer, JSONRenderer]
    parser_classes = [FHIRJSONParser]
    permission_classes = [IsAuthenticated]
    # Not in the REST API's OpenAPI schema: FHIR describes itself (the CapabilityStatement).
    schema = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # The middleware's Actor was made before DRF authenticated a bearer token.
        request._request.actor = request.actor = Actor.from_request(request)

    def handle_exception(self, exc):
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            response = outcome(401, str(exc.detail), code="login")
            header = self.get_authenticate_header(self.request)
            if header:
                response["WWW-Authenticate"] = header
            return response
        if isinstance(exc, exceptions.PermissionDenied):
            return outcome(403, str(exc.detail), code="forbidden")
        if isinstance(exc, (Http404, exceptions.NotFound)):
            return outcome(404, str(exc) or "Not found.", code="not-found")
        if isinstance(exc, SearchError):
            return outcome(400, exc.message, expression=exc.parameter, code="value")
        if isinstance(exc, exceptions.ParseError):
            # DRF parsed the body already (OAuth authentication reads it): say where it broke.
            return outcome(400, f"The body is not JSON: {exc.detail}", expression="Bundle", code="structure")
        if isinstance(exc, exceptions.UnsupportedMediaType):
            return outcome(415, str(exc.detail), code="not-supported")
        if isinstance(exc, exceptions.NotAcceptable):
            return outcome(406, str(exc.detail), code="not-supported")
        if isinstance(exc, exceptions.Throttled):
            response = outcome(429, str(exc.detail), code="throttled")
            if exc.wait:
                response["Retry-After"] = str(int(exc.wait))
            return response
        if isinstance(exc, exceptions.APIException):
            return outcome(exc.status_code, str(exc.detail), code="processing")
        return super().handle_exception(exc)


def outcome(status_code: int, diagnostics: str, *, expression: str | None = None, code: str = "invalid"):
    body = mapping.operation_outcome([mapping.issue(diagnostics, expression=expression, code=code)])
    return Response(body, status=status_code)


class Metadata(FHIRView):
    """The CapabilityStatement: what this server does (public, as FHIR expects)."""

    permission_classes = []
    authentication_classes = []

    def get(self, request):
        return Response(mapping.capability_statement())


class Read(FHIRView):
    def get(self, request, resource_type, pk):
        kind = kinds.get(resource_type)
        if kind is None:
            raise Http404(f"This server has no {resource_type} resources.")
        if not pk.isdigit():
            raise Http404(f"No {resource_type}/{pk}.")
        record = kind.scope(request.user).filter(pk=pk).first()
        if record is None:
            raise Http404(f"No {resource_type}/{pk} in your scope.")
        body = kind.render([record], request.user)[0]
        if kind.personal:
            audit.record(action="view", obj=kind.audited(record), actor=request.actor,
                         summary=f"FHIR read {resource_type}/{pk}")
        return Response(body)


class Search(FHIRView):
    def get(self, request, resource_type):
        kind = kinds.get(resource_type)
        if kind is None:
            raise Http404(f"This server has no {resource_type} resources.")
        params = request.query_params
        q, include = kind.filters(params)
        count, offset = paging(params)
        count = min(count, kind.max_count)
        queryset = kind.scope(request.user).filter(q).order_by("pk")
        total = queryset.count()
        page = list(queryset[offset:offset + count])
        found = kind.render(page, request.user)
        included = kind.include(page, request.user) if include else []
        if kind.personal:
            audit.record(action="search", object_type=kind.object_type, actor=request.actor,
                         summary=f"FHIR search {resource_type}?{params.urlencode()}"[:250]
                         + f": {len(page)} of {total}" + (f", {len(included)} included" if included else ""))
        return Response(mapping.searchset(found, total=total, included=included,
                                            links=_links(request, offset, count, total)))


def _links(request, offset: int, count: int, total: int) -> dict[str, str]:
    def at(start):
        params = request.query_params.copy()
        params["_offset"] = str(start)
        params["_count"] = str(count)
        return request.build_absolute_uri(request.path) + "?" + params.urlencode()

    links = {"self": at(offset), "first": at(0)}
    if offset + count < total:
        links["next"] = at(offset + count)
    if offset > 0:
        links["previous"] = at(max(0, offset - count))
    return links


class ProcessMessage(FHIRView):
    """POST /fhir/$process-message: a PAS-shaped panel message (add or remove members)."""

    def post(self, request):
        # The body is read as bytes (not request.data), so that malformed JSON is answered
        # with an OperationOutcome naming where it broke.
        content_type = request.content_type.split(";")[0].strip()
        if content_type not in (FHIR_JSON, "application/json"):
            return outcome(415, f"Send the message Bundle as {FHIR_JSON}.", code="not-supported")
        try:
            raw = request.body
        except RawPostDataException:  # the authentication read the stream: DRF has it parsed
            raw = json.dumps(request.data).encode()
        status_code, body = messages.process(raw, user=request.user, actor=request.actor)
        return Response(body, status=status_code)

