"""The EMR handoff of an attached household: what the clinic's EMR needs to open the charts.

A `collection` Bundle: each member as a `Patient` with the household's contact details
(phone, email, address, languages), the registration's answers as a
`QuestionnaireResponse` (about the primary contact, for the household), each need the
household declared as a `Flag`, and the `Practitioner` and clinic `Organization` they
are attached to. The clinic downloads it from the offer in its inbox; where it has
registered a webhook, the outbox pushes it (`fhir.outbox`).
"""

from __future__ import annotations

from fhir import mapping
from patients.models import Patient
from patients.priority import FACTOR_LABELS
from registries.vocab import NEED_NAMES, PROVIDER_GENDERS, language_name

PREFERRED_GENDER = dict(PROVIDER_GENDERS)


def members(registration) -> list[Patient]:
    return list(Patient.objects.filter(registration=registration).order_by("-is_primary_contact", "id"))


def handoff_bundle(offer) -> dict:
    registration = offer.registration
    people = members(registration)
    primary = people[0]
    patients = [mapping.patient(p, registration=registration) for p in people]
    subject = {**mapping.ref("Patient", primary.pk), "display": f"{primary.first_name} {primary.last_name}"}
    flags = [
        mapping.validated({
            "resourceType": "Flag",
            "id": f"{registration.pk}-need-{code.replace('_', '-')}",
            "status": "active",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/flag-category",
                                      "code": "clinical", "display": "Clinical"}]}],
            "code": {"coding": [{"system": mapping.NEED_SYSTEM, "code": code, "display": NEED_NAMES.get(code, code)}],
                     "text": f"Household need: {NEED_NAMES.get(code, code)}"},
            "subject": subject,
        })
        for code in registration.needs
    ]
    entries = [mapping.entry(p) for p in patients]
    entries.append(mapping.entry(answers(registration, subject), url=mapping.full_url(
        "QuestionnaireResponse", registration.pk)))
    entries += [mapping.entry(f, url=mapping.full_url("Flag", f["id"])) for f in flags]
    entries.append(mapping.entry(mapping.practitioner(offer.provider)))
    entries.append(mapping.entry(mapping.organization(offer.clinic)))
    return mapping.validated({
        "resourceType": "Bundle",
        "id": f"handoff-{offer.pk}",
        "identifier": {"system": mapping.REGISTRATION_SYSTEM, "value": registration.reference_code},
        "type": "collection",
        "timestamp": mapping.instant(offer.patient_answered_at or offer.closed_at),
        "entry": entries,
    })


def answers(registration, subject: dict) -> dict:
    """The registration's answers, as the household gave them (or staff entered them)."""
    items = [
        _item("household-size", "How many people are in the household?", [{"valueInteger": registration.household_size}]),
        _item("community", "Community", [{"valueString": registration.community.name}]),
    ]
    if registration.languages:
        items.append(_item("languages", "Languages the household speaks", [
            {"valueCoding": {"system": mapping.LANGUAGE_SYSTEM, "code": c, "display": language_name(c)}}
            for c in registration.languages]))
    if registration.preferred_provider_gender:
        items.append(_item("preferred-provider-gender", "Preferred gender of the provider", [
            {"valueString": PREFERRED_GENDER.get(registration.preferred_provider_gender,
                                                 registration.preferred_provider_gender)}]))
    if registration.needs:
        items.append(_item("needs", "Care needs", [
            {"valueCoding": {"system": mapping.NEED_SYSTEM, "code": c, "display": NEED_NAMES.get(c, c)}}
            for c in registration.needs]))
    if registration.priority_factors:
        items.append(_item("priority-factors", "Circumstances the household told us about", [
            {"valueCoding": {"system": mapping.PRIORITY_FACTOR_SYSTEM, "code": c,
                             "display": FACTOR_LABELS.get(c, c)}}
            for c in registration.priority_factors]))
    items.append(_item("registered", "Registered on", [{"valueDate": registration.registered_at.date().isoformat()}]))
    if registration.consent_at:
        items.append(_item("consent", "Consented to share their information", [{"valueBoolean": True}]))
    return mapping.validated({
        "resourceType": "QuestionnaireResponse",
        "id": str(registration.pk),
        "identifier": {"system": mapping.REGISTRATION_SYSTEM, "value": registration.reference_code},
        "questionnaire": mapping.REGISTRATION_QUESTIONNAIRE,
        "status": "completed",
        "subject": subject,
        "authored": mapping.instant(registration.registered_at),
        "item": items,
    })


def _item(link_id: str, text: str, answer: list[dict]) -> dict:
    return {"linkId": link_id, "text": text, "answer": answer}


def on_household_attached(sender, *, offer, actor=None, **kwargs):
    """Inside the attach transaction: the outbox row of the clinic's webhook, if it has one."""
    from fhir import outbox

    outbox.record(offer)
