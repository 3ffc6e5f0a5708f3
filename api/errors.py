"""One error body for every API error, with the fields at fault:

    {"error": {"status": 400, "code": "invalid", "message": "...", "fields": {"phn": ["..."]}}}

DRF's own errors (validation, authentication, permission, throttling) and the core's
DomainError (a service refusing: a bad PHN, an offer that expired, no capacity) all
come out this way. A DomainError naming fields is a 400; one about the record's state
(no field to correct) is a 409.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from attachment.core.errors import text


def _body(status_code, code, message, fields=None):
    error = {"status": status_code, "code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def _flat(detail):
    """DRF error detail (nested lists and dicts) as {field: [messages]}."""
    if isinstance(detail, dict):
        out = {}
        for key, value in detail.items():
            if isinstance(value, dict):
                for sub, messages in _flat(value).items():
                    out[f"{key}.{sub}"] = messages
            else:
                out[key] = [str(v) for v in (value if isinstance(value, list) else [value])]
        return out
    return {}


def domain_error_response(exc: DjangoValidationError) -> Response:
    if hasattr(exc, "error_dict"):
        fields = {name: [m for e in errors for m in e.messages] for name, errors in exc.error_dict.items()}
        general = fields.pop("__all__", None) or fields.pop(None, None)
        message = " ".join(general) if general else "Some fields are not right; see fields."
        return Response(_body(400, "invalid", message, fields or None), status=400)
    return Response(_body(409, "refused", text(exc)), status=status.HTTP_409_CONFLICT)


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):  # DomainError and model validation
        return domain_error_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django's 500 handling (logged, no details to the caller)
    if isinstance(exc, exceptions.ValidationError):
        fields = _flat(exc.detail) if isinstance(exc.detail, dict) else {}
        general = fields.pop("non_field_errors", None)
        if isinstance(exc.detail, list):
            general = [str(d) for d in exc.detail]
        message = " ".join(general) if general else "Some fields are not right; see fields."
        response.data = _body(response.status_code, "invalid", message, fields or None)
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = codes if isinstance(codes, str) else "error"
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        response.data = _body(response.status_code, code, str(detail))
    return response
