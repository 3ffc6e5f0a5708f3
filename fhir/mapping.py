"""Attach's records as FHIR R4 resources (checked by the fhir.resources R4B models).

Each function takes records already in the caller's scope (views ask `access`) and
returns the resource as a JSON-ready dict that `validated()` has parsed with its
fhir.resources model: nothing leaves Attach that the models refuse.

A panel is a `Group` after BC's PAS implementation guide: the provider is its
`managingEntity`, the patients its `member.entity`; its id is the provider's.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from attachment.core.http import absolute_url
from fhir.resources.R4B import get_fhir_model_class

# --- naming systems ------------------------------------------------------------------
# BC's Personal Health Number, as Infoway and BC's PAS guide name it.
PHN_SYSTEM = "https://fhir.infoway-inforoute.ca/NamingSystem/ca-bc-patient-healthcare-id"
# The MSP practitioner number and the MSP facility number, as BC's Provider and Location
# Registry FHIR guide names them (bcgov/moh-plr-fhir, input/fsh/NamingSystems.fsh): the
# "Ministry Practitioner ID" (MPID, OID 2.16.840.1.113883.3.40.2.11, the root BC's EMRs
# give the MSP practitioner number in CDX documents) and the "MSP Facility Number" (HFI).
PRACTITIONER_SYSTEM = "https://health.gov.bc.ca/fhir/NamingSystem/ca-bc-ministry-practitioner-id"
FACILITY_SYSTEM = "https://health.gov.bc.ca/fhir/NamingSystem/ca-bc-msp-facility-id"
# The URIs Attach used before (its own, and the bulk export's): still accepted on input
# (panel messages, search), never emitted.
LEGACY_PRACTITIONER_SYSTEMS = ("https://fhir.attach.bc.ca/NamingSystem/ca-bc-msp-practitioner-number",
                               "https://fhir.infoway-inforoute.ca/NamingSystem/ca-bc-msp-practitioner-number")
LEGACY_FACILITY_SYSTEMS = ("https://fhir.attach.bc.ca/NamingSystem/ca-bc-msp-facility-number",)
PRACTITIONER_SYSTEMS = (PRACTITIONER_SYSTEM, *LEGACY_PRACTITIONER_SYSTEMS)
FACILITY_SYSTEMS = (FACILITY_SYSTEM, *LEGACY_FACILITY_SYSTEMS)
# Attach's own codes and identifiers.
CLINIC_SYSTEM = "https://fhir.attach.bc.ca/NamingSystem/attach-clinic-id"
REGISTRATION_SYSTEM = "https://fhir.attach.bc.ca/NamingSystem/attach-registration-reference"
NEED_SYSTEM = "https://fhir.attach.bc.ca/CodeSystem/attach-need"
PRIORITY_FACTOR_SYSTEM = "https://fhir.attach.bc.ca/CodeSystem/attach-priority-factor"
PROGRAMME_SYSTEM = "https://fhir.attach.bc.ca/CodeSystem/attach-care-programme"
LANGUAGE_SYSTEM = "urn:ietf:bcp:47"
PROVIDER_KIND_SYSTEM = "https://fhir.attach.bc.ca/CodeSystem/attach-provider-kind"
REGISTRATION_QUESTIONNAIRE = "https://fhir.attach.bc.ca/Questionnaire/attach-registration"

GENDER = {"F": "female", "M": "male", "X": "other"}
GENDER_CODES = {v: k for k, v in GENDER.items()}


class InvalidResource(Exception):
    """A resource the fhir.resources models refuse; `errors` are pydantic's."""

    def __init__(self, resource_type: str, errors: list[dict]):
        super().__init__(f"{resource_type}: {errors}")
        self.resource_type = resource_type
        self.errors = errors


def model_for(resource_type: str):
    """The fhir.resources R4B model class of a resource type, or None for an unknown type."""
    try:
        return get_fhir_model_class(resource_type)
    except (KeyError, ValueError, AttributeError):
        return None


def parse(data: dict):
    """Parse a resource dict with its fhir.resources model; InvalidResource when it fails."""
    from pydantic import ValidationError

    resource_type = data.get("resourceType") if isinstance(data, dict) else None
    cls = model_for(resource_type) if isinstance(resource_type, str) else None
    if cls is None:
        raise InvalidResource(str(resource_type), [{"loc": ("resourceType",), "msg": "Unknown resource type."}])
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise InvalidResource(resource_type, exc.errors()) from exc


def validated(data: dict) -> dict:
    """`data` as fhir.resources serialises it, once its model accepts it."""
    return parse(data).model_dump(mode="json", exclude_none=True)


def ref(resource_type: str, pk) -> dict:
    return {"reference": f"{resource_type}/{pk}"}


def full_url(resource_type: str, pk) -> str:
    return absolute_url(f"/fhir/{resource_type}/{pk}")


def instant(value: datetime.datetime | None = None) -> str:
    return (value or timezone.now()).isoformat(timespec="seconds")


# --- the registries' records ------------------------------------------------------------

def patient(p, *, registration=None) -> dict:
    """A Patient: PHN, name, birth date, gender; with `registration`, the household's contact details."""
    data = {
        "resourceType": "Patient",
        "id": str(p.pk),
        "identifier": [{"system": PHN_SYSTEM, "value": p.phn}],
        "active": True,
        "name": [{"use": "official", "family": p.last_name, "given": [p.first_name]}],
        "birthDate": p.date_of_birth.isoformat(),
    }
    if not p.phn:  # a person merged from a local list may have none yet (linkage): no identifier without a value
        del data["identifier"]
    if p.gender in GENDER:
        data["gender"] = GENDER[p.gender]
    address = {}
    if registration is not None:
        telecom = []
        if registration.phone:
            telecom.append({"system": "phone", "value": registration.phone, "use": "home"})
        if registration.email:
            telecom.append({"system": "email", "value": registration.email})
        if telecom:
            data["telecom"] = telecom
        if registration.address:
            address["line"] = [registration.address]
        address["city"] = registration.community.name
        if registration.postal_code:
            address["postalCode"] = registration.postal_code
        if registration.languages:
            data["communication"] = [
                {"language": {"coding": [{"system": LANGUAGE_SYSTEM, "code": code}]}, "preferred": i == 0}
                for i, code in enumerate(registration.languages)
            ]
    postal = address.get("postalCode") or p.postal_code
    if postal:
        address["postalCode"] = postal
    if address:
        data["address"] = [{"use": "home", "state": "BC", "country": "CA", **address}]
    return validated(data)


def practitioner(provider) -> dict:
    data = {
        "resourceType": "Practitioner",
        "id": str(provider.pk),
        "identifier": [{"system": PRACTITIONER_SYSTEM, "value": provider.practitioner_number}],
        "active": True,
        "name": [{"use": "official", "family": provider.last_name, "given": [provider.first_name],
                  **({"prefix": ["Dr."]} if provider.kind == "FP" else {})}],
        "qualification": [{"code": {"coding": [{"system": PROVIDER_KIND_SYSTEM, "code": provider.kind,
                                                "display": provider.get_kind_display()}]}}],
    }
    if provider.gender in GENDER:
        data["gender"] = GENDER[provider.gender]
    if provider.languages:
        data["communication"] = [{"coding": [{"system": LANGUAGE_SYSTEM, "code": c}]} for c in provider.languages]
    return validated(data)


def practitioner_role(link) -> dict:
    """A PractitionerRole: one provider at one clinic (a `ProviderClinic`)."""
    provider = link.provider
    return validated({
        "resourceType": "PractitionerRole",
        "id": str(link.pk),
        "active": True,
        "practitioner": {**ref("Practitioner", provider.pk), "display": str(provider)},
        "organization": {**ref("Organization", link.clinic_id), "display": link.clinic.name},
        "code": [{"coding": [{"system": PROVIDER_KIND_SYSTEM, "code": provider.kind,
                              "display": provider.get_kind_display()}]}],
        "availabilityExceptions": "Accepting new patients" if provider.accepting else "Not accepting new patients",
    })


def facility_number(clinic) -> str:
    """The clinic's MSP facility number, or "" when it has not given one."""
    from fhir.models import ClinicIntegration

    try:
        return clinic.integration.facility_number
    except ClinicIntegration.DoesNotExist:
        return ""


def organization(clinic) -> dict:
    """The clinic, known by its MSP facility number (where the clinic has given it) and Attach's id."""
    identifiers = [{"system": CLINIC_SYSTEM, "value": str(clinic.pk)}]
    number = facility_number(clinic)
    if number:
        identifiers.insert(0, {"system": FACILITY_SYSTEM, "value": number})
    telecom = [{"system": s, "value": v, "use": "work"} for s, v in
               (("phone", clinic.phone), ("fax", clinic.fax), ("email", clinic.email)) if v]
    data = {
        "resourceType": "Organization",
        "id": str(clinic.pk),
        "identifier": identifiers,
        "active": True,
        "type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/organization-type", "code": "prov",
                              "display": "Healthcare Provider"}]}],
        "name": clinic.name,
        "address": [{"use": "work", "line": [clinic.address], "city": clinic.community.name, "state": "BC",
                     "country": "CA", **({"postalCode": clinic.postal_code} if clinic.postal_code else {})}],
    }
    if telecom:
        data["telecom"] = telecom
    return validated(data)


def group(provider, entries) -> dict:
    """A provider's panel: `entries` are their open PanelEntry rows (with `patient`)."""
    members = [
        {"entity": {**ref("Patient", e.patient_id), "display": f"{e.patient.first_name} {e.patient.last_name}"},
         "period": {"start": e.since.isoformat()}}
        for e in entries
    ]
    data = {
        "resourceType": "Group",
        "id": str(provider.pk),
        "active": True,
        "type": "person",
        "actual": True,
        "name": f"Panel of {provider}",
        "managingEntity": {**ref("Practitioner", provider.pk), "display": str(provider)},
        "quantity": len(members),
    }
    if members:
        data["member"] = members
    return validated(data)


# --- bundles ---------------------------------------------------------------------------

def entry(resource: dict, *, mode: str | None = None, url: str | None = None) -> dict:
    item = {"fullUrl": url or full_url(resource["resourceType"], resource["id"]), "resource": resource}
    if mode:
        item["search"] = {"mode": mode}
    return item


def searchset(resources, *, total: int, links: dict[str, str], included=()) -> dict:
    return validated({
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": instant(),
        "total": total,
        "link": [{"relation": relation, "url": url} for relation, url in links.items()],
        "entry": [entry(r, mode="match") for r in resources] + [entry(r, mode="include") for r in included],
    })


def operation_outcome(issues: list[dict]) -> dict:
    """issues: {"severity", "code", "diagnostics", "expression": [...]}, as FHIR's OperationOutcome.issue."""
    return validated({"resourceType": "OperationOutcome", "issue": issues})


def issue(diagnostics: str, *, expression: str | None = None, code: str = "invalid",
          severity: str = "error") -> dict:
    found = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        found["expression"] = [expression]
    return found


def capability_statement() -> dict:
    search = {
        "Patient": [("identifier", "token", "system|value: the PHN with BC's PHN system"),
                    ("name", "string", "any part of the name, starting with"),
                    ("family", "string", ""), ("given", "string", ""),
                    ("birthdate", "date", "eq, ge, le, gt, lt"), ("_id", "token", "")],
        "Practitioner": [("identifier", "token", "the MSP practitioner number"), ("name", "string", ""),
                         ("_id", "token", "")],
        "PractitionerRole": [("practitioner", "reference", ""), ("organization", "reference", ""),
                             ("_id", "token", "")],
        "Organization": [("identifier", "token", "the MSP facility number"), ("name", "string", ""),
                         ("_id", "token", "")],
        "Group": [("managing-entity", "reference", "Practitioner/{id}"), ("_id", "token", ""),
                  ("_include", "special", "Group:member includes the members' Patient resources")],
    }
    # Goals and the carers' CareTeam are contained in their CarePlan.
    care = ["EpisodeOfCare", "CarePlan", "Task", "Communication"]
    resources = [
        {"type": name, "interaction": [{"code": "read"}, {"code": "search-type"}],
         "searchParam": [{"name": n, "type": t, **({"documentation": d} if d else {})} for n, t, d in params]}
        for name, params in search.items()
    ] + [
        {"type": name, "interaction": [{"code": "read"}, {"code": "search-type"}],
         "searchParam": [{"name": "patient", "type": "reference"}, {"name": "_id", "type": "token"}]}
        for name in care
    ] + [
        {"type": "ServiceRequest", "interaction": [{"code": "read"}, {"code": "search-type"}],
         "documentation": "A care referral; its step (requested, accepted, booked, seen, report received, "
                          "closed, rejected, cancelled) is the businessStatus of its contained Task.",
         "searchParam": [{"name": "patient", "type": "reference"}, {"name": "subject", "type": "reference"},
                         {"name": "status", "type": "token", "documentation": "active, completed, revoked"},
                         {"name": "_id", "type": "token"}]}
    ]
    return validated({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.localdate().isoformat(),
        "publisher": "Attach (BC Provincial Attachment System)",
        "kind": "instance",
        "software": {"name": "Attach"},
        "implementation": {"description": "Attach FHIR R4 interface", "url": absolute_url("/fhir/")},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "documentation": "OAuth 2 client-credentials bearer tokens (systems) or a signed-in session (people); "
                             "every record is scoped as on the pages.",
            "security": {"service": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "OAuth"}]}]},
            "resource": resources,
            "operation": [{"name": "process-message",
                           "definition": "http://hl7.org/fhir/OperationDefinition/MessageHeader-process-message"},
                          {"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"},
                          {"name": "export",
                           "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"}],
        }],
        "messaging": [{"supportedMessage": [
            {"mode": "receiver", "definition": "https://fhir.attach.bc.ca/MessageDefinition/panel-add"},
            {"mode": "receiver", "definition": "https://fhir.attach.bc.ca/MessageDefinition/panel-remove"},
        ]}],
    })
