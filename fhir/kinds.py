"""The resource types /fhir/ serves: for each, its scope (from `access`), its search
filters, how a page of records becomes resources, and whether reading it is audited."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Q

from attachment.core import access
from fhir import care, mapping, search
from providers.models import ProviderClinic
from registries.models import PanelEntry


@dataclass(frozen=True)
class Kind:
    scope: Callable  # user -> queryset of the records in scope
    filters: Callable  # query params -> (Q, include?)
    render: Callable  # (records, user) -> [resource dicts]
    personal: bool
    object_type: str = ""
    max_count: int = search.MAX_COUNT
    include: Callable = field(default=lambda records, user: [])
    audited: Callable = field(default=lambda record: record)


def _plain(filters):
    return lambda params: (filters(params), False)


def _patients(records, user):
    return [mapping.patient(p) for p in records]


def _groups(providers, user):
    members = defaultdict(list)
    entries = (PanelEntry.objects.filter(provider__in=[p.pk for p in providers], ended_at__isnull=True)
               .select_related("patient").order_by("patient_id"))
    for e in entries:
        members[e.provider_id].append(e)
    return [mapping.group(p, members[p.pk]) for p in providers]


def _group_members(providers, user):
    from patients.models import Patient

    on_panels = PanelEntry.objects.filter(provider__in=[p.pk for p in providers], ended_at__isnull=True)
    return [mapping.patient(p) for p in Patient.objects.filter(pk__in=on_panels.values("patient_id")).order_by("pk")]


def _care_plans(plans, user):
    versions = care.latest_versions(plans)
    return [care.care_plan(p, versions.get(p.pk)) for p in plans]


def _clinics(user):
    return access.readable_clinics(user).select_related("community")


def _roles(user):
    providers = access.readable_providers(user)
    clinics = access.readable_clinics(user)
    return ProviderClinic.objects.filter(Q(provider__in=providers) | Q(clinic__in=clinics)).select_related(
        "provider", "clinic")


KINDS: dict[str, Kind] = {
    "Patient": Kind(scope=access.readable_patients, filters=_plain(search.patient_filters), render=_patients,
                    personal=True, object_type="patients.Patient"),
    "Practitioner": Kind(scope=access.readable_providers, filters=_plain(search.practitioner_filters),
                         render=lambda records, user: [mapping.practitioner(p) for p in records], personal=False),
    "PractitionerRole": Kind(scope=_roles, filters=_plain(search.practitioner_role_filters),
                             render=lambda records, user: [mapping.practitioner_role(r) for r in records],
                             personal=False),
    "Organization": Kind(scope=_clinics, filters=_plain(search.organization_filters),
                         render=lambda records, user: [mapping.organization(c) for c in records], personal=False),
    # A Group carries every member of a panel (a few thousand): a page holds a few panels.
    # Care coordination (care/): read only, in the care scope.
    "EpisodeOfCare": Kind(scope=lambda user: access.care_enrolments(user).select_related("programme"),
                          filters=_plain(search.care_filters), personal=True, object_type="care.Enrolment",
                          render=lambda records, user: [care.episode_of_care(e) for e in records]),
    "CarePlan": Kind(scope=access.care_plans, filters=_plain(search.care_filters), personal=True,
                     object_type="care.CarePlan", render=_care_plans),
    "Task": Kind(scope=lambda user: access.care_tasks(user).select_related("assigned_to"),
                 filters=_plain(search.care_filters), personal=True, object_type="care.Task",
                 render=lambda records, user: [care.task(t) for t in records]),
    "Communication": Kind(scope=access.care_contacts, filters=_plain(search.care_filters), personal=True,
                          object_type="care.Contact", render=lambda records, user: [care.communication(c) for c in records]),
    "ServiceRequest": Kind(scope=lambda user: access.care_referrals(user).select_related("type", "referred_by"),
                           filters=_plain(search.referral_filters), personal=True, object_type="care.Referral",
                           render=lambda records, user: [care.service_request(r) for r in records]),
    "Group": Kind(scope=access.panel_readable_providers, filters=search.group_filters, render=_groups,
                  personal=True, object_type="fhir.Group", max_count=10, include=_group_members),
}


def get(resource_type: str) -> Kind | None:
    return KINDS.get(resource_type)
