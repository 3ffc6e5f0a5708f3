"""PAS-shaped panel messages: `$process-message` in, and the same messages out.

A panel message is a FHIR message Bundle (`type: message`) whose first entry is a
`MessageHeader` naming the event (`panel-add` or `panel-remove`) and focusing on the
`Group` (the panel): its `managingEntity` is the `Practitioner` (known by the MSP
practitioner number), its `member.entity` the `Patient`s (known by their PHN); the
facility's `Organization` is in the Bundle too. This is how BC's PAS guide carries
panel changes.

Processing is all or nothing: the whole message is read and checked first (JSON, every
resource against its fhir.resources model, PHN system and check digit, the provider in
the caller's scope, the facility one of theirs), then every member is added or removed
through the panel services the pages use (`registries.panels.entries`: the 98990 add
with its conflicts, the remove with its reason), in one transaction. The message id
(`Bundle.id`) is kept with the response: a replay changes nothing and answers the same;
two copies at once are serialised by an advisory lock on the id, so the second finds the
first's response rather than applying it again.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid
from dataclasses import dataclass, field

from django.db import connection, transaction

from attachment.core import access
from attachment.core.http import absolute_url
from fhir import mapping
from fhir.models import ProcessedMessage
from providers.models import Provider
from registries.models import PanelEntry
from registries.panels import PanelError, entries
from registries.phn import normalize_phn, phn_error

EVENT_SYSTEM = "https://fhir.attach.bc.ca/CodeSystem/panel-event"
ADD, REMOVE = "panel-add", "panel-remove"
EVENTS = {ADD: "Add panel members", REMOVE: "Remove panel members"}
DEFAULT_REMOVE_REASON = "Removed by the clinic's EMR (FHIR panel message)"


class MessageError(Exception):
    """The message cannot be applied: an HTTP status and the issues (OperationOutcome) naming the elements."""

    def __init__(self, diagnostics: str, *, expression: str = "Bundle", code: str = "invalid", status: int = 400):
        super().__init__(diagnostics)
        self.status = status
        self.issues = [mapping.issue(diagnostics, expression=expression, code=code)]


@dataclass
class Member:
    phn: str
    first_name: str
    last_name: str
    date_of_birth: datetime.date | None
    gender: str
    postal_code: str
    where: str  # the element, for the response's issues


@dataclass
class Message:
    id: str
    event: str
    practitioner_number: str
    practitioner_where: str
    facility: tuple[str, str] | None
    organization_where: str
    members: list[Member] = field(default_factory=list)
    reason: str = ""


# --- in -----------------------------------------------------------------------------------

def process(body: bytes, *, user, actor) -> tuple[int, dict]:
    """Apply a panel message; (HTTP status, response message Bundle or OperationOutcome)."""
    try:
        data = _json(body)
        message = read(data)
        provider = _provider(user, message)
        # The replay check compares the message's content, not its whitespace.
        digest = hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
        with transaction.atomic():
            # One message id at a time: a second copy waits here, then finds the first's response.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"fhir-message:{message.id}"])
            replay = _replayed(message.id, digest, user)
            if replay is not None:
                return 200, replay
            results = _apply(message, provider, user=user, actor=actor)
            response = response_message(message, results)
            ProcessedMessage.objects.create(message_id=message.id, body_hash=digest, event=message.event,
                                            provider=provider, received_by=user, response=response)
        return 200, response
    except MessageError as exc:
        return exc.status, mapping.operation_outcome(exc.issues)


def _replayed(message_id: str, digest: str, user) -> dict | None:
    done = ProcessedMessage.objects.filter(message_id=message_id).first()
    if done is None:
        return None
    if done.body_hash != digest or done.received_by_id != getattr(user, "pk", None):
        raise MessageError("This message id was already used for another message; give each message its own id.",
                           expression="Bundle.id", code="duplicate", status=409)
    return done.response


def _json(body: bytes):
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise MessageError(f"The body is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
                           code="structure") from exc
    except UnicodeDecodeError as exc:
        raise MessageError("The body is not JSON: it is not UTF-8 text.", code="structure") from exc


def read(data) -> Message:
    """Check a panel message (parsed JSON); MessageError naming the first element that is wrong."""
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise MessageError("Send a message Bundle (resourceType Bundle).", expression="Bundle.resourceType",
                           code="structure")
    if data.get("type") != "message":
        raise MessageError("A message Bundle has type 'message'.", expression="Bundle.type", code="value")
    items = data.get("entry")
    if not isinstance(items, list) or not items:
        raise MessageError("The message has no entries.", expression="Bundle.entry", code="required")
    for i, item in enumerate(items):
        resource = item.get("resource") if isinstance(item, dict) else None
        if not isinstance(resource, dict):
            raise MessageError("Each entry holds a resource.", expression=f"Bundle.entry[{i}].resource",
                               code="required")
        try:
            mapping.parse(resource)
        except mapping.InvalidResource as exc:
            raise MessageError(_first_error(exc), expression=f"Bundle.entry[{i}].resource{_loc(exc)}",
                               code="structure") from exc
    try:
        mapping.parse(data)
    except mapping.InvalidResource as exc:
        raise MessageError(_first_error(exc), expression=f"Bundle{_loc(exc)}", code="structure") from exc
    message_id = data.get("id")
    if not message_id:
        raise MessageError("The message Bundle needs an id: it is the message id a replay is known by.",
                           expression="Bundle.id", code="required")
    return _message(message_id, items)


def _first_error(exc: mapping.InvalidResource) -> str:
    error = exc.errors[0]
    return f"{exc.resource_type} fails FHIR validation: {error.get('msg', 'invalid')}"


def _loc(exc: mapping.InvalidResource) -> str:
    """pydantic's location of the first error as a FHIRPath tail: ('name', 0, 'family') → .name[0].family"""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in exc.errors[0].get("loc", ()))


def _message(message_id: str, items: list[dict]) -> Message:
    by_url = {}
    for i, item in enumerate(items):
        resource = item["resource"]
        if item.get("fullUrl"):
            by_url[item["fullUrl"]] = i
        if resource.get("id"):
            by_url[f"{resource['resourceType']}/{resource['id']}"] = i

    def resolve(reference: dict | None, resource_type: str, where: str) -> tuple[int, dict]:
        target = (reference or {}).get("reference", "")
        i = by_url.get(target)
        if i is None and target.endswith(f"/{resource_type}/" + target.rsplit("/", 1)[-1]):
            i = by_url.get(f"{resource_type}/{target.rsplit('/', 1)[-1]}")
        if i is None or items[i]["resource"]["resourceType"] != resource_type:
            raise MessageError(f"The reference {target!r} names no {resource_type} in the message.",
                               expression=where, code="not-found")
        return i, items[i]["resource"]

    header = items[0]["resource"]
    if header["resourceType"] != "MessageHeader":
        raise MessageError("A message's first entry is its MessageHeader.", expression="Bundle.entry[0].resource",
                           code="structure")
    coding = header.get("eventCoding") or {}
    event = coding.get("code")
    if coding.get("system") != EVENT_SYSTEM or event not in EVENTS:
        raise MessageError(f"The event is {EVENT_SYSTEM}|{ADD} or |{REMOVE}.",
                           expression="Bundle.entry[0].resource.eventCoding", code="code-invalid")
    focus = header.get("focus") or []
    if len(focus) != 1:
        raise MessageError("The MessageHeader focuses on the panel's Group (one).",
                           expression="Bundle.entry[0].resource.focus", code="required")
    g, group = resolve(focus[0], "Group", "Bundle.entry[0].resource.focus[0]")
    p, practitioner = resolve(group.get("managingEntity"), "Practitioner",
                              f"Bundle.entry[{g}].resource.managingEntity")
    number = _identifier(practitioner, set(mapping.PRACTITIONER_SYSTEMS), f"Bundle.entry[{p}].resource",
                         "the MSP practitioner number")[1]
    organizations = [i for i, item in enumerate(items) if item["resource"]["resourceType"] == "Organization"]
    if len(organizations) != 1:
        raise MessageError("The message carries the facility's Organization (one).", expression="Bundle.entry",
                           code="required")
    o = organizations[0]
    facility = _identifier(items[o]["resource"], {*mapping.FACILITY_SYSTEMS, mapping.CLINIC_SYSTEM},
                           f"Bundle.entry[{o}].resource", "the MSP facility number")
    members = group.get("member") or []
    if not members:
        raise MessageError("The Group names no members to add or remove.",
                           expression=f"Bundle.entry[{g}].resource.member", code="required")
    message = Message(id=message_id, event=event, practitioner_number=number,
                      practitioner_where=f"Bundle.entry[{p}].resource.identifier", facility=facility,
                      organization_where=f"Bundle.entry[{o}].resource.identifier",
                      reason=((header.get("reason") or {}).get("text") or "").strip())
    seen = set()
    for j, member in enumerate(members):
        k, patient = resolve(member.get("entity"), "Patient", f"Bundle.entry[{g}].resource.member[{j}].entity")
        message.members.append(_member(patient, f"Bundle.entry[{k}].resource", event))
        if message.members[-1].phn in seen:
            raise MessageError("This patient is named twice in the message.",
                               expression=f"Bundle.entry[{g}].resource.member[{j}]", code="duplicate")
        seen.add(message.members[-1].phn)
    return message


def _identifier(resource: dict, systems: set[str], where: str, what: str) -> tuple[str, str]:
    identifiers = resource.get("identifier") or []
    for n, identifier in enumerate(identifiers):
        if identifier.get("system") in systems:
            value = (identifier.get("value") or "").strip()
            if not value:
                raise MessageError(f"The identifier has no value ({what}).", expression=f"{where}.identifier[{n}].value",
                                   code="required")
            return identifier["system"], value
    if identifiers:
        raise MessageError(f"Unknown identifier system {identifiers[0].get('system')!r}: {what} has the system "
                           + " or ".join(sorted(systems)) + ".",
                           expression=f"{where}.identifier[0].system", code="code-invalid")
    raise MessageError(f"The {resource['resourceType']} has no identifier ({what}).",
                       expression=f"{where}.identifier", code="required")


def _member(patient: dict, where: str, event: str) -> Member:
    identifiers = patient.get("identifier") or []
    index = next((n for n, i in enumerate(identifiers) if i.get("system") == mapping.PHN_SYSTEM), None)
    if index is None:
        system = identifiers[0].get("system") if identifiers else None
        raise MessageError(f"Unknown PHN system {system!r}: a BC PHN has the system {mapping.PHN_SYSTEM}.",
                           expression=f"{where}.identifier[0].system" if identifiers else f"{where}.identifier",
                           code="code-invalid")
    phn = normalize_phn(identifiers[index].get("value") or "")
    reason = phn_error(phn)
    if reason:
        raise MessageError(reason, expression=f"{where}.identifier[{index}].value", code="value")
    names = patient.get("name") or [{}]
    family, given = names[0].get("family") or "", (names[0].get("given") or [""])[0]
    birth = patient.get("birthDate")
    if event == ADD:
        if not family.strip() or not given.strip():
            raise MessageError("A patient added to a panel has a family and a given name.",
                               expression=f"{where}.name[0]", code="required")
        if not birth or len(birth) != 10:
            raise MessageError("A patient added to a panel has a full date of birth (YYYY-MM-DD).",
                               expression=f"{where}.birthDate", code="required")
    addresses = patient.get("address") or [{}]
    return Member(
        phn=phn, first_name=given.strip(), last_name=family.strip(),
        date_of_birth=datetime.date.fromisoformat(birth) if birth and len(birth) == 10 else None,
        gender=mapping.GENDER_CODES.get(patient.get("gender"), ""),
        postal_code=(addresses[0].get("postalCode") or "")[:7], where=where,
    )


def _provider(user, message: Message) -> Provider:
    # One answer for a number that does not exist and one outside the caller's scope.
    provider = access.acting_providers(user).filter(practitioner_number=message.practitioner_number).first()
    if provider is None:
        raise MessageError("No provider you act for has this practitioner number.",
                           expression=message.practitioner_where, code="forbidden", status=403)
    system, value = message.facility
    clinics = provider.clinics.all()
    known = (clinics.filter(integration__facility_number=value) if system in mapping.FACILITY_SYSTEMS
             else clinics.filter(pk=int(value)) if value.isdigit() else clinics.none())
    if not known.exists():
        raise MessageError("The Organization is not a facility where this provider works.",
                           expression=message.organization_where, code="value", status=422)
    return provider


def _apply(message: Message, provider: Provider, *, user, actor) -> list[dict]:
    results = []
    for m in message.members:
        try:
            if message.event == ADD:
                result = entries.add_patient(provider, phn=m.phn, first_name=m.first_name, last_name=m.last_name,
                                             date_of_birth=m.date_of_birth, gender=m.gender,
                                             postal_code=m.postal_code, by=user, actor=actor)
                said = ("added to the panel" if result.entry else
                        "not added yet: the claim needs the attachment coordinators' review")
            else:
                entry = PanelEntry.objects.filter(patient__phn=m.phn, provider=provider, ended_at__isnull=True).first()
                if entry is None:
                    raise PanelError("This patient is not on this provider's panel.")
                entries.remove_patient(entry, reason=message.reason or DEFAULT_REMOVE_REASON, by=user, actor=actor)
                said = "removed from the panel"
        except PanelError as exc:
            raise MessageError(f"{m.phn}: {_words(exc)} Nothing in this message was applied.",
                               expression=m.where, code="business-rule", status=422) from exc
        results.append(mapping.issue(f"{m.phn}: {said}", expression=m.where, code="informational",
                                       severity="information"))
    return results


def _words(exc: PanelError) -> str:
    detail = exc.args[0] if exc.args else str(exc)
    if isinstance(detail, dict):
        return " ".join(str(v) for v in detail.values())
    return str(detail)


def response_message(message: Message, results: list[dict]) -> dict:
    header_id, outcome_id = uuid.uuid4().hex, uuid.uuid4().hex
    return mapping.validated({
        "resourceType": "Bundle",
        "id": uuid.uuid4().hex,
        "type": "message",
        "timestamp": mapping.instant(),
        "entry": [
            {"fullUrl": f"urn:uuid:{_uuid(header_id)}", "resource": {
                "resourceType": "MessageHeader", "id": header_id,
                "eventCoding": {"system": EVENT_SYSTEM, "code": message.event, "display": EVENTS[message.event]},
                "source": {"name": "Attach", "endpoint": absolute_url("/fhir/")},
                "response": {"identifier": message.id, "code": "ok",
                             "details": {"reference": f"urn:uuid:{_uuid(outcome_id)}"}},
            }},
            {"fullUrl": f"urn:uuid:{_uuid(outcome_id)}", "resource": {
                "resourceType": "OperationOutcome", "id": outcome_id, "issue": results,
            }},
        ],
    })


def _uuid(hex_id: str) -> str:
    return str(uuid.UUID(hex_id))


# --- out ----------------------------------------------------------------------------------

def panel_message(event: str, *, practitioner: dict, organization: dict, patients: list[dict],
                  group_id: str, message_id: str | None = None, reason: str = "") -> dict:
    """The message Bundle for adding (or removing) `patients` (Patient resources) to the panel
    of `practitioner`, at `organization`: what an EMR sends, and what Attach emits."""
    if event not in EVENTS:
        raise ValueError(f"Unknown panel event {event!r}")
    urls = {"Practitioner": f"urn:uuid:{uuid.uuid4()}", "Organization": f"urn:uuid:{uuid.uuid4()}",
            "Group": f"urn:uuid:{uuid.uuid4()}"}
    patient_urls = [f"urn:uuid:{uuid.uuid4()}" for _ in patients]
    header = {
        "resourceType": "MessageHeader", "id": uuid.uuid4().hex,
        "eventCoding": {"system": EVENT_SYSTEM, "code": event, "display": EVENTS[event]},
        "source": {"name": "Attach", "endpoint": absolute_url("/fhir/")},
        "sender": {"reference": urls["Organization"]},
        "focus": [{"reference": urls["Group"]}],
    }
    if reason:
        header["reason"] = {"text": reason}
    group = {
        "resourceType": "Group", "id": group_id, "type": "person", "actual": True,
        "managingEntity": {"reference": urls["Practitioner"]},
        "member": [{"entity": {"reference": url}, **({"inactive": True} if event == REMOVE else {})}
                   for url in patient_urls],
    }
    return mapping.validated({
        "resourceType": "Bundle",
        "id": message_id or uuid.uuid4().hex,
        "type": "message",
        "timestamp": mapping.instant(),
        "entry": [{"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": header},
                  {"fullUrl": urls["Group"], "resource": group},
                  {"fullUrl": urls["Practitioner"], "resource": practitioner},
                  {"fullUrl": urls["Organization"], "resource": organization}]
        + [{"fullUrl": url, "resource": p} for url, p in zip(patient_urls, patients, strict=True)],
    })


def message_for(event: str, provider, patients, *, clinic, message_id: str | None = None, reason: str = "") -> dict:
    """The panel message for a change Attach made: `patients` (records) added to or removed
    from `provider`'s panel at `clinic`."""
    return panel_message(event, practitioner=mapping.practitioner(provider),
                         organization=mapping.organization(clinic),
                         patients=[mapping.patient(p) for p in patients], group_id=str(provider.pk),
                         message_id=message_id, reason=reason)
