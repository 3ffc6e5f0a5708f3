"""FHIR search parameters as filters on querysets already in the caller's scope.

Each resource type names the parameters it takes; any other parameter is refused (400,
naming it) rather than ignored, so a mistyped `identifer=` never answers everyone in scope.
Paging is `_count` (at most MAX_COUNT) and `_offset`, ordered by id.
"""

from __future__ import annotations

import datetime
import re

from django.db.models import Q

from care.referral_models import ENDED_STEPS, OPEN_STEPS
from fhir import mapping

DEFAULT_COUNT = 50
MAX_COUNT = 200
PAGING = {"_count", "_offset", "_format"}
DATE_PREFIXES = {"eq": "", "ge": "__gte", "le": "__lte", "gt": "__gt", "lt": "__lt"}


class SearchError(Exception):
    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


def _token(value: str, parameter: str, systems: dict[str, str]):
    """`system|value` or `value`: the field to filter on for a known system; SearchError otherwise."""
    if "|" in value:
        system, code = value.split("|", 1)
        if system and system not in systems:
            raise SearchError(parameter, f"Unknown identifier system {system!r}; this server knows "
                                         + ", ".join(sorted(systems)) + ".")
        fields = [systems[system]] if system else list(dict.fromkeys(systems.values()))
    else:
        code, fields = value, list(dict.fromkeys(systems.values()))
    if not code:
        raise SearchError(parameter, "The identifier has no value.")
    q = Q()
    for field in fields:
        q |= Q(**{field: code})
    return q


def _date(value: str, parameter: str, field: str) -> Q:
    match = re.fullmatch(r"(eq|ge|le|gt|lt)?(\d{4}-\d{2}-\d{2})", value)
    if not match:
        raise SearchError(parameter, "A date is YYYY-MM-DD, optionally after eq, ge, le, gt or lt.")
    try:
        day = datetime.date.fromisoformat(match.group(2))
    except ValueError as exc:
        raise SearchError(parameter, f"{match.group(2)} is not a date.") from exc
    return Q(**{field + DATE_PREFIXES[match.group(1) or "eq"]: day})


def _reference(value: str, parameter: str, resource_type: str) -> str:
    """`Type/id` or `id` → the id (digits)."""
    pk = value.split("/", 1)[1] if value.startswith(f"{resource_type}/") else value
    if not pk.isdigit():
        raise SearchError(parameter, f"Expected {resource_type}/{{id}}.")
    return pk


def _ids(value: str, parameter: str) -> Q:
    ids = [v for v in value.split(",") if v]
    if not ids or not all(v.isdigit() for v in ids):
        raise SearchError(parameter, "An id is a number.")
    return Q(pk__in=ids)


def _name(value: str, fields) -> Q:
    q = Q()
    for field in fields:
        q |= Q(**{f"{field}__istartswith": value})
    return q


def patient_filters(params) -> Q:
    q = Q()
    for name, values in _pairs(params, {"identifier", "name", "family", "given", "birthdate", "_id"}):
        for value in values:
            if name == "identifier":
                q &= _token(value, name, {mapping.PHN_SYSTEM: "phn"})
            elif name == "name":
                q &= _name(value, ["first_name", "last_name"])
            elif name == "family":
                q &= _name(value, ["last_name"])
            elif name == "given":
                q &= _name(value, ["first_name"])
            elif name == "birthdate":
                q &= _date(value, name, "date_of_birth")
            elif name == "_id":
                q &= _ids(value, name)
    return q


def practitioner_filters(params) -> Q:
    q = Q()
    for name, values in _pairs(params, {"identifier", "name", "_id"}):
        for value in values:
            if name == "identifier":
                q &= _token(value, name, dict.fromkeys(mapping.PRACTITIONER_SYSTEMS, "practitioner_number"))
            elif name == "name":
                q &= _name(value, ["first_name", "last_name"])
            else:
                q &= _ids(value, name)
    return q


def practitioner_role_filters(params) -> Q:
    q = Q()
    for name, values in _pairs(params, {"practitioner", "organization", "_id"}):
        for value in values:
            if name == "practitioner":
                q &= Q(provider_id=_reference(value, name, "Practitioner"))
            elif name == "organization":
                q &= Q(clinic_id=_reference(value, name, "Organization"))
            else:
                q &= _ids(value, name)
    return q


def organization_filters(params) -> Q:
    q = Q()
    for name, values in _pairs(params, {"identifier", "name", "_id"}):
        for value in values:
            if name == "identifier":
                q &= _token(value, name, {**dict.fromkeys(mapping.FACILITY_SYSTEMS, "integration__facility_number"),
                                          mapping.CLINIC_SYSTEM: "pk"})
            elif name == "name":
                q &= Q(name__icontains=value)
            else:
                q &= _ids(value, name)
    return q


def group_filters(params) -> tuple[Q, bool]:
    """The filter, and whether `_include=Group:member` asks for the members' Patients."""
    q, include = Q(), False
    for name, values in _pairs(params, {"managing-entity", "_id", "_include"}):
        for value in values:
            if name == "managing-entity":
                q &= Q(pk=_reference(value, name, "Practitioner"))
            elif name == "_id":
                q &= _ids(value, name)
            elif value == "Group:member":
                include = True
            else:
                raise SearchError(name, "Only _include=Group:member is supported.")
    return q, include


def care_filters(params, *, statuses: dict | None = None) -> Q:
    """A care record's search: `patient`/`subject` and `_id`; and, where the kind has
    `statuses` (each FHIR status as the steps it covers), `status` (a comma is "or", as
    FHIR's token lists)."""
    q = Q()
    for name, values in _pairs(params, {"patient", "subject", "_id"} | ({"status"} if statuses else set())):
        for value in values:
            if name in ("patient", "subject"):
                q &= Q(patient_id=_reference(value, name, "Patient"))
            elif name == "status":
                wanted = [v for v in value.split(",") if v]
                unknown = [v for v in wanted if v not in statuses]
                if not wanted or unknown:
                    raise SearchError(name, "The status is one of " + ", ".join(statuses) + ".")
                q &= Q(step__in=[s for v in wanted for s in statuses[v]])
            else:
                q &= _ids(value, name)
    return q


# ServiceRequest.status of a referral (Referral.fhir_request_status) as the steps it covers.
REFERRAL_STATUS_STEPS = {"active": OPEN_STEPS, "completed": ["closed"], "revoked": ENDED_STEPS}


def referral_filters(params) -> Q:
    """A referral's ServiceRequest: the care search, and `status` (active, completed, revoked)."""
    return care_filters(params, statuses=REFERRAL_STATUS_STEPS)


def _pairs(params, allowed: set[str]):
    for name in params:
        if name in PAGING:
            continue
        if name not in allowed:
            raise SearchError(name, f"Unknown search parameter {name!r}; this resource takes "
                                    + ", ".join(sorted(allowed)) + ".")
        yield name, params.getlist(name)


def paging(params) -> tuple[int, int]:
    try:
        count = int(params.get("_count", DEFAULT_COUNT))
        offset = int(params.get("_offset", 0))
    except ValueError as exc:
        raise SearchError("_count", "_count and _offset are whole numbers.") from exc
    if count < 1 or offset < 0:
        raise SearchError("_count", "_count is at least 1 and _offset at least 0.")
    return min(count, MAX_COUNT), offset
