"""Who may see or change what: the one module that answers it, for pages, tasks and the API.

Two kinds of answer:
- scopes: the records a user may see, as querysets (a coordinator's divisions, the
  providers an MOA acts for, ...), for lists and searches to filter on;
- look-ups of one record in scope, which raise 404 for anything outside it, so that a
  record in another scope is indistinguishable from one that does not exist.

Scopes are django-guardian object permissions (see `roles` for who holds which):
`coordinate_division` and `view_division_reports` on a Division, `act_for_provider` on
a Provider (granted while a delegation is active), `manage_clinic` on a Clinic.
"""

import time

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from guardian.shortcuts import get_objects_for_user

from attachment.core import roles
from attachment.workflow.models import MatchRun, Offer, Proposal, UnplacedRegistration
from patients.models import Registration
from providers.models import Clinic, Provider
from registries.models import Division, PanelUpload

# --- scopes -------------------------------------------------------------------------


def coordinator_divisions(user):
    """The divisions whose waitlist the user coordinates."""
    if not roles.has_role(user, roles.COORDINATOR):
        return Division.objects.none()
    return get_objects_for_user(user, "registries.coordinate_division", klass=Division, accept_global_perms=False)


def manager_divisions(user):
    """The divisions whose aggregate reports the user may read (coordinators read their own)."""
    if not roles.has_role(user, roles.MANAGER, roles.COORDINATOR):
        return Division.objects.none()
    return get_objects_for_user(
        user,
        ["registries.view_division_reports", "registries.coordinate_division"],
        klass=Division,
        any_perm=True,
        accept_global_perms=False,
    )


def acting_providers(user):
    """Providers the user acts for: themself (a provider), and those with an active delegation to them."""
    if not user.is_authenticated:
        return Provider.objects.none()
    delegated = get_objects_for_user(user, "providers.act_for_provider", klass=Provider, accept_global_perms=False)
    own = Provider.objects.filter(user=user)
    return Provider.objects.filter(pk__in=delegated.values("pk")) | own


def managed_clinics(user):
    """Clinics whose profile, hours and staff the user keeps (clinic leads)."""
    if not user.is_authenticated:
        return Clinic.objects.none()
    return get_objects_for_user(user, "providers.manage_clinic", klass=Clinic, accept_global_perms=False)


def providers_in_divisions(divisions):
    return Provider.objects.filter(
        Q(clinics__community__division__in=divisions) | Q(communities__division__in=divisions)
    ).distinct()


def readable_providers(user):
    """Acting providers, plus (read only) those a coordinator's divisions or a clinic lead's clinics cover."""
    ids = set(acting_providers(user).values_list("pk", flat=True))
    divisions = coordinator_divisions(user)
    if divisions.exists():
        ids |= set(providers_in_divisions(divisions).values_list("pk", flat=True))
    clinics = managed_clinics(user)
    if clinics.exists():
        ids |= set(Provider.objects.filter(clinics__in=clinics).values_list("pk", flat=True))
    return Provider.objects.filter(pk__in=ids)


def panel_readable_providers(user):
    """Providers whose panel (names, PHNs, dates of birth) the user may read: those they act
    for, and those in a coordinator's divisions. A clinic lead reads the clinic's provider
    profiles but not their panels, unless a provider delegated to them."""
    ids = set(acting_providers(user).values_list("pk", flat=True))
    divisions = coordinator_divisions(user)
    if divisions.exists():
        ids |= set(providers_in_divisions(divisions).values_list("pk", flat=True))
    return Provider.objects.filter(pk__in=ids)


def readable_clinics(user):
    """Clinics a person may read: coordinators (their divisions), staff and leads (their clinics), providers (theirs)."""
    q = Q(memberships__user=user) | Q(providers__in=acting_providers(user))
    q |= Q(community__division__in=coordinator_divisions(user))
    q |= Q(pk__in=managed_clinics(user).values("pk"))
    return Clinic.objects.filter(q).distinct()


def coordinator_runs(user):
    """Matching runs within the coordinator's divisions, and region-wide runs (which cover them)."""
    division_ids = list(coordinator_divisions(user).values_list("pk", flat=True))
    return MatchRun.objects.filter(Q(parameters__division__in=division_ids) | Q(parameters__division=None))


def coordinator_proposals(user):
    return Proposal.objects.filter(registration__division__in=coordinator_divisions(user))


def coordinator_unplaced(user):
    """Registrations a run left without a proposal, within the coordinator's divisions
    (a region-wide run's list shows each coordinator only their own)."""
    return UnplacedRegistration.objects.filter(registration__division__in=coordinator_divisions(user))


def coordinator_offers(user):
    return Offer.objects.filter(registration__division__in=coordinator_divisions(user))


def clinic_offers(user):
    """Offers to the providers this user acts for; nothing else, whatever the URL asks."""
    return Offer.objects.filter(provider__in=acting_providers(user))


# --- checks -------------------------------------------------------------------------


def can_act_for(user, provider) -> bool:
    return acting_providers(user).filter(pk=provider.pk).exists()


def require_division(user, division_id):
    """Refuse (403) a division outside the coordinator's scope."""
    if not coordinator_divisions(user).filter(pk=division_id).exists():
        raise PermissionDenied


# --- one record in scope, or 404 ----------------------------------------------------


def _one(queryset, message: str):
    found = queryset.first()
    if found is None:
        raise Http404(message)
    return found


def provider_to_act_for(user, pk) -> Provider:
    return _one(acting_providers(user).filter(pk=pk), "No such provider in your scope.")


def provider_to_read(user, pk) -> Provider:
    return _one(readable_providers(user).filter(pk=pk), "No such provider in your scope.")


def panel_to_read(user, pk) -> Provider:
    """The provider whose panel the user may read, or 404."""
    return _one(panel_readable_providers(user).filter(pk=pk), "No such provider in your scope.")


def clinic_to_read(user, pk) -> Clinic:
    return _one(readable_clinics(user).filter(pk=pk), "No such clinic in your scope.")


def clinic_to_manage(user, pk) -> Clinic:
    return _one(managed_clinics(user).filter(pk=pk), "No such clinic in your scope.")


def registration_to_read(user, pk) -> Registration:
    return _one(
        Registration.objects.filter(division__in=coordinator_divisions(user), pk=pk)
        .select_related("community", "division", "entered_by"),
        "No such registration",
    )


def upload_to_act_for(user, pk) -> PanelUpload:
    return _one(
        PanelUpload.objects.filter(pk=pk, provider__in=acting_providers(user)).select_related("provider", "uploaded_by"),
        "No such upload in your scope.",
    )


def run_to_read(user, pk) -> MatchRun:
    return _one(coordinator_runs(user).filter(pk=pk), "No such matching run in your scope.")


def proposal_to_read(user, pk) -> Proposal:
    return _one(
        coordinator_proposals(user).filter(pk=pk).select_related("registration__community", "provider"),
        "No such proposal in your scope.",
    )


def coordinator_offer(user, pk) -> Offer:
    return _one(
        coordinator_offers(user).filter(pk=pk).select_related("registration__community", "provider", "clinic", "proposal"),
        "No such offer in your scope.",
    )


def clinic_offer(user, pk) -> Offer:
    return _one(
        clinic_offers(user).filter(pk=pk).select_related("registration", "provider", "clinic"),
        "No such offer in your scope.",
    )


# --- care coordination (care/) --------------------------------------------------------
# A care coordinator's scope is their PCNs (`coordinate_care_in_pcn` on a PCN): the
# patients with an open panel entry with a provider who works at a clinic in one of
# them (clinic.community.pcn). Providers and their delegates see their own panels'
# patients. When a patient leaves the panel they leave the scope; their care history
# stays in the database, unreachable until they are back on a panel in scope.


def care_pcns(user):
    """The PCNs whose patients the user coordinates care for."""
    from registries.models import PCN

    if not roles.has_role(user, roles.CARE_COORDINATOR):
        return PCN.objects.none()
    return get_objects_for_user(user, "registries.coordinate_care_in_pcn", klass=PCN, accept_global_perms=False)


def pcn_providers(pcns):
    """Providers who work at a clinic in one of `pcns`."""
    return Provider.objects.filter(clinics__community__pcn__in=pcns)


def _care_provider_ids(user) -> set[int]:
    if not user.is_authenticated:
        return set()
    ids = set(acting_providers(user).values_list("pk", flat=True))
    pcns = care_pcns(user)
    if pcns.exists():
        ids |= set(pcn_providers(pcns).values_list("pk", flat=True))
    return ids


def _on_open_panel_of(provider_ids):
    from patients.models import Patient
    from registries.models import PanelEntry

    # Served by panel_by_provider (provider_id, ended_at): a PCN's panels, never the province's.
    return Patient.objects.filter(
        pk__in=PanelEntry.objects.filter(provider_id__in=provider_ids, ended_at__isnull=True).values("patient_id")
    )


def care_patients(user):
    """Patients whose care record the user may see: on an open panel in their PCNs (care
    coordinators) or of a provider they act for (providers, delegated MOAs); nothing else."""
    return _on_open_panel_of(_care_provider_ids(user))


def care_profile_patients(user):
    """Patients whose care profile (diagnoses, deficits, complexity) the user records:
    those on the open panel of a provider they are or act for."""
    if not user.is_authenticated:
        return _on_open_panel_of(set())
    return _on_open_panel_of(set(acting_providers(user).values_list("pk", flat=True)))


def care_enrolments(user):
    from care.models import Enrolment

    return Enrolment.objects.filter(patient__in=care_patients(user))


def care_tasks(user):
    """Tasks about patients in scope, those in the queues of the user's PCNs, and the user's own."""
    from care.models import Task

    return Task.objects.filter(
        Q(patient__in=care_patients(user)) | Q(patient__isnull=True, pcn__in=care_pcns(user))
        | Q(patient__isnull=True, assigned_to=user)
    )


def pcns_of_patient(patient):
    """The PCNs of the clinics where the patient's current provider works."""
    from registries.models import PCN, PanelEntry

    providers = PanelEntry.objects.filter(patient=patient, ended_at__isnull=True).values("provider_id")
    return PCN.objects.filter(communities__clinics__providers__in=providers).distinct()


def care_colleagues(user):
    """Care coordinators who share one of the user's PCNs: who a task may be given to."""
    from django.contrib.auth import get_user_model
    from guardian.models import UserObjectPermission

    from registries.models import PCN

    pcn_ids = [str(pk) for pk in care_pcns(user).values_list("pk", flat=True)]
    holders = UserObjectPermission.objects.filter(
        permission__codename="coordinate_care_in_pcn", permission__content_type__app_label="registries",
        content_type__model=PCN._meta.model_name, object_pk__in=pcn_ids,
    ).values("user_id")
    return get_user_model().objects.filter(pk__in=holders, groups__name=roles.CARE_COORDINATOR, is_active=True)


def care_patient_to_read(user, pk):
    return _one(care_patients(user).filter(pk=pk), "No such patient in your scope.")


def care_patient_to_profile(user, pk):
    return _one(care_profile_patients(user).filter(pk=pk), "No such patient on a panel you act for.")


def enrolment_to_act_for(user, pk):
    return _one(care_enrolments(user).filter(pk=pk).select_related("patient", "programme"), "No such enrolment in your scope.")


def task_to_act_for(user, pk):
    return _one(care_tasks(user).filter(pk=pk).select_related("patient", "pcn", "assigned_to"), "No such task in your scope.")


# --- the household's own record (self-service) -----------------------------------------
# A browser that proved itself (reference code, a date of birth, then the one-time code sent
# to the contact on file: patients.otp) holds its registration in its session for
# ATTACH_SELF_SERVICE_MINUTES. Only that browser sees the household's page and its access log.

HOUSEHOLD_SESSION_KEY = "self_service"


def open_household(request, registration: Registration) -> None:
    request.session.cycle_key()  # a new session id once proven: nothing fixed before it carries over
    request.session[HOUSEHOLD_SESSION_KEY] = {
        "registration": registration.pk, "until": time.time() + settings.ATTACH_SELF_SERVICE_MINUTES * 60,
    }


def close_household(request) -> None:
    request.session.pop(HOUSEHOLD_SESSION_KEY, None)


def household_registration(request) -> Registration:
    """The registration this browser proved itself for, or 404 (none, or its time is up)."""
    held = request.session.get(HOUSEHOLD_SESSION_KEY) or {}
    if not held or held.get("until", 0) < time.time():
        raise Http404("Prove who you are first.")
    return _one(Registration.objects.filter(pk=held.get("registration")).select_related("community", "division"),
                "Prove who you are first.")
