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
from django.db.models.signals import post_migrate
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


def coordinator_registrations(user):
    """Registrations on the waitlists of the coordinator's divisions (the API's list; the
    waitlist page filters the same divisions through its selector)."""
    return Registration.objects.filter(division__in=coordinator_divisions(user))


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
    """The provider whose panel the user may read, or 404. The same answer as
    panel_readable_providers, asked in the order that is cheapest for the common case
    (a clinic, or its EMR, reading a panel it acts for: one query)."""
    provider = acting_providers(user).filter(pk=pk).first()
    if provider is None:
        divisions = coordinator_divisions(user)
        provider = providers_in_divisions(divisions).filter(pk=pk).first() if divisions.exists() else None
    if provider is None:
        raise Http404("No such provider in your scope.")
    return provider


_PERMISSION_IDS: dict[tuple[str, str], int] = {}
# Permissions are made by migrations (and made anew by a test database's flush): forget them then.
post_migrate.connect(lambda **kwargs: _PERMISSION_IDS.clear(), weak=False, dispatch_uid="access-permission-ids")


def permission_id(app_label: str, codename: str) -> int:
    """A permission's id, cached (forgotten after a migration)."""
    key = (app_label, codename)
    if key not in _PERMISSION_IDS:
        from django.contrib.auth.models import Permission

        _PERMISSION_IDS[key] = Permission.objects.get(content_type__app_label=app_label, codename=codename).pk
    return _PERMISSION_IDS[key]


def _object_permission_sql(object_pk: str, user: str = "%s", permission: str = "%s") -> str:
    """guardian's test "the user, or a group of theirs, holds a permission on the object
    whose key is `object_pk` (an SQL expression)", as SQL. Its parameters, in order: the
    user and the permission's id, then (in `object_pk`, if it is %s) the object's key, twice;
    `user` and `permission` may be SQL expressions instead (a column, a literal id)."""
    from django.contrib.auth.models import Group
    from guardian.models import GroupObjectPermission, UserObjectPermission

    members = Group.user_set.through._meta.db_table
    return (f"(EXISTS (SELECT 1 FROM {UserObjectPermission._meta.db_table} op WHERE op.user_id = {user} "
            f"AND op.permission_id = {permission} AND op.object_pk = {object_pk}) "
            f"OR EXISTS (SELECT 1 FROM {GroupObjectPermission._meta.db_table} op "
            f"JOIN {members} ug ON ug.group_id = op.group_id WHERE ug.user_id = {user} "
            f"AND op.permission_id = {permission} AND op.object_pk = {object_pk}))")


def panel_reader_sql(user, provider_pk: int) -> tuple[str, list]:
    """Whether the user may read provider `provider_pk`'s panel (panel_readable_providers'
    answer, as panel_to_read asks it) as an SQL condition and its parameters: for the API's
    busiest page (api/views/panels.py), where building guardian's ORM query, then planning
    its joins, cost more than reading the page. Uncorrelated (about one provider, not each
    row) with the permissions by id, it plans in a fraction of the time.
    tests/api/test_panel_page.py holds the two equal for every role."""
    from registries.models import Community

    if not user.is_authenticated:
        return "FALSE", []
    if user.is_superuser:
        return "TRUE", []  # guardian's with_superuser, as acting_providers has it
    u, key = user.pk, str(provider_pk)
    parts = [f"EXISTS (SELECT 1 FROM {Provider._meta.db_table} WHERE id = %s AND user_id = %s)",
             _object_permission_sql("%s")]
    perm = permission_id("providers", "act_for_provider")
    params = [provider_pk, u, u, perm, key, u, perm, key]
    if roles.has_role(user, roles.COORDINATOR):
        division = _object_permission_sql("cm.division_id::text")
        perm = permission_id("registries", "coordinate_division")
        parts.append(
            f"EXISTS (SELECT 1 FROM {Provider.clinics.through._meta.db_table} pc "
            f"JOIN {Clinic._meta.db_table} c ON c.id = pc.clinic_id "
            f"JOIN {Community._meta.db_table} cm ON cm.id = c.community_id WHERE pc.provider_id = %s AND {division})")
        parts.append(
            f"EXISTS (SELECT 1 FROM {Provider.communities.through._meta.db_table} pcm "
            f"JOIN {Community._meta.db_table} cm ON cm.id = pcm.community_id WHERE pcm.provider_id = %s AND {division})")
        params += [provider_pk, u, perm, u, perm] * 2
    return "(" + " OR ".join(parts) + ")", params


def clinic_to_read(user, pk) -> Clinic:
    return _one(readable_clinics(user).filter(pk=pk), "No such clinic in your scope.")


def clinic_to_manage(user, pk) -> Clinic:
    return _one(managed_clinics(user).filter(pk=pk), "No such clinic in your scope.")


def registration_to_read(user, pk) -> Registration:
    return _one(
        coordinator_registrations(user).filter(pk=pk)
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


def care_coordinates_sql(user_column: str, pcn_column: str) -> str:
    """Whether the account in `user_column` coordinates care in the PCN in `pcn_column`
    (care_pcns' answer, for an active account), as an SQL condition without parameters: for
    set-based work over many tasks, handing a departed coordinator's tasks back to the team
    queue (care.staffing) and the generator's assignments. tests/care/test_staffing.py
    holds the two equal."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    users = get_user_model()._meta.db_table
    members, groups = Group.user_set.through._meta.db_table, Group._meta.db_table
    role = "'" + roles.CARE_COORDINATOR.replace("'", "''") + "'"
    perm = str(permission_id("registries", "coordinate_care_in_pcn"))
    return (f"EXISTS (SELECT 1 FROM {users} u WHERE u.id = {user_column} AND u.is_active"
            f" AND EXISTS (SELECT 1 FROM {members} ug JOIN {groups} g ON g.id = ug.group_id"
            f" WHERE ug.user_id = u.id AND g.name = {role})"
            f" AND (u.is_superuser OR {_object_permission_sql(f'{pcn_column}::text', user='u.id', permission=perm)}))")


def pcn_providers(pcns):
    """Providers who work at a clinic in one of `pcns`."""
    return Provider.objects.filter(clinics__community__pcn__in=pcns)


def _care_provider_ids(user) -> set[int]:
    if not user.is_authenticated:
        return set()
    ids = set(acting_providers(user).values_list("pk", flat=True))
    # One query, not an exists() first: with no PCN the join finds no provider.
    ids |= set(pcn_providers(care_pcns(user)).values_list("pk", flat=True))
    return ids


def _on_open_panel_of(provider_ids):
    from patients.models import Patient
    from registries.models import PanelEntry

    # Served by panel_by_provider (provider_id, ended_at): a PCN's panels, never the province's.
    return Patient.objects.filter(
        pk__in=PanelEntry.objects.filter(provider_id__in=provider_ids, ended_at__isnull=True).values("patient_id")
    )


def care_patient_ids(user):
    """The ids of care_patients(user), as a subquery of open panel entries: what other
    tables' patient_id is filtered on (`patient__in=care_patients(user)` would first join the
    whole patient table in, a scan of the province for each list)."""
    from registries.models import PanelEntry

    return PanelEntry.objects.filter(provider_id__in=_care_provider_ids(user), ended_at__isnull=True).values(
        "patient_id")


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

    return Enrolment.objects.filter(patient_id__in=care_patient_ids(user))


def care_tasks(user):
    """Tasks about patients in scope, those in the queues of the user's PCNs, and the user's own."""
    from care.models import Task

    return Task.objects.filter(
        Q(patient_id__in=care_patient_ids(user)) | Q(patient__isnull=True, pcn__in=care_pcns(user))
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


# --- care: referrals and the activity report (care/referrals.py, care/activity.py) -------


def care_referrals(user):
    """Referrals of patients whose care record the user may see (as care_patients)."""
    from care.models import Referral

    return Referral.objects.filter(patient_id__in=care_patient_ids(user))


def referral_to_act_for(user, pk):
    return _one(care_referrals(user).filter(pk=pk).select_related("patient", "type", "pcn"),
                "No such referral in your scope.")


def activity_pcns(user):
    """The PCNs whose activity report the user reads: a care coordinator's own PCNs
    (figures by person), a division manager's divisions' PCNs (aggregates, suppressed)."""
    from registries.models import PCN

    if roles.has_role(user, roles.CARE_COORDINATOR):
        return care_pcns(user)
    if roles.has_role(user, roles.MANAGER):
        return PCN.objects.filter(division__in=manager_divisions(user))
    return PCN.objects.none()


def activity_divisions(user):
    """The divisions a manager reads the care activity report of (aggregates only)."""
    if not roles.has_role(user, roles.MANAGER):
        return Division.objects.none()
    return manager_divisions(user).filter(pk__in=Division.objects.filter(pcns__isnull=False).values("pk"))


# --- local waitlists and record linkage (linkage/) -----------------------------------------
# A coordinator imports local lists into, and reviews the rows and duplicate pairs of, their
# own divisions only.


def coordinator_imports(user):
    from linkage.models import WaitlistImport

    return WaitlistImport.objects.filter(division__in=coordinator_divisions(user))


def division_to_import_into(user, pk) -> Division:
    return _one(coordinator_divisions(user).filter(pk=pk), "No such division in your scope.")


def import_to_act_for(user, pk):
    return _one(coordinator_imports(user).filter(pk=pk).select_related("division", "uploaded_by"),
                "No such import in your scope.")


def coordinator_import_rows(user):
    from linkage.models import ImportRow

    return ImportRow.objects.filter(division__in=coordinator_divisions(user))


def import_row_to_review(user, pk):
    return _one(coordinator_import_rows(user).filter(pk=pk).select_related("upload", "community", "registration"),
                "No such row in your scope.")


def coordinator_duplicate_pairs(user):
    from linkage.models import DuplicatePair

    return DuplicatePair.objects.filter(division__in=coordinator_divisions(user))


def duplicate_pair_to_review(user, pk):
    return _one(coordinator_duplicate_pairs(user).filter(pk=pk)
                .select_related("a__registration__community", "b__registration__community"),
                "No such pair in your scope.")
# --- care: hospital stays, planned visits, MDT meetings, the provider's care tasks ------------


def stay_to_act_for(user, pk):
    from care.models import HospitalStay

    return _one(HospitalStay.objects.filter(pk=pk, patient__in=care_patients(user)).select_related("patient", "pcn"),
                "No such hospital stay in your scope.")


def planned_visits(user):
    """Visits to plan of patients in scope: a coordinator's PCNs' panels, or the panels of the
    providers the user is or acts for (the provider reads the summary before the visit)."""
    from care.models import PlannedVisit

    return PlannedVisit.objects.filter(patient__in=care_patients(user))


def visit_to_read(user, pk):
    return _one(planned_visits(user).filter(pk=pk).select_related("patient", "provider", "pcn", "created_by"),
                "No such visit in your scope.")


def provider_care_tasks(user):
    """Care tasks for a provider the user is or acts for (reading a discharge summary), about
    patients still on their panel."""
    from care.models import Task

    return Task.objects.filter(provider__in=acting_providers(user), patient__in=care_profile_patients(user))


def provider_task_to_act_for(user, pk):
    return _one(provider_care_tasks(user).filter(pk=pk).select_related("patient", "provider"),
                "No such task in your scope.")


def mdt_meetings(user):
    from care.models import MdtMeeting

    return MdtMeeting.objects.filter(pcn__in=care_pcns(user))


def mdt_meeting_to_act_for(user, pk):
    return _one(mdt_meetings(user).filter(pk=pk).select_related("pcn", "created_by"), "No such meeting in your scope.")


def mdt_item_to_act_for(user, pk):
    """An agenda item of a meeting in scope, about a patient still in scope."""
    from care.models import MdtAgendaItem

    return _one(MdtAgendaItem.objects.filter(pk=pk, meeting__in=mdt_meetings(user), patient__in=care_patients(user))
                .select_related("meeting", "patient"), "No such agenda item in your scope.")
# --- FHIR (fhir/) ---------------------------------------------------------------------
# The FHIR interface reads what the pages read: a Patient is readable by whoever may read
# a panel the patient is on (their providers and delegates, the division's coordinators)
# or the registration they wait on (coordinators); Practitioners, PractitionerRoles and
# Organizations as the directory pages show them; a Group as the panel page.


def readable_patients(user):
    """Patients on an open panel the user may read, and household members of registrations
    in a coordinator's divisions."""
    from django.db.models import Exists, OuterRef

    from patients.models import Patient
    from registries.models import PanelEntry

    providers = list(panel_readable_providers(user).values_list("pk", flat=True))
    divisions = list(coordinator_divisions(user).values_list("pk", flat=True))
    # A correlated EXISTS on the panel index, the scope's ids given as lists: a search's own
    # condition (a PHN, a name) picks the few patients first, and scope is checked on those
    # (a PHN look-up in a division's 100,000 panel patients: 2 ms, against 60 ms for IN (...)).
    on_panel = PanelEntry.objects.filter(patient_id=OuterRef("pk"), provider_id__in=providers, ended_at__isnull=True)
    return Patient.objects.filter(Exists(on_panel) | Q(registration__division_id__in=divisions))


def integration_clinics(user):
    """Clinics whose EMR integration (facility number, webhook) the user sets and whose
    failed handoff deliveries they see: a clinic lead's clinics; every clinic for an administrator."""
    if roles.has_role(user, roles.ADMINISTRATOR):
        return Clinic.objects.all()
    return managed_clinics(user)


def integration_clinic(user, pk) -> Clinic:
    return _one(integration_clinics(user).filter(pk=pk), "No such clinic in your scope.")


def handoff_offer(user, pk) -> Offer:
    """An attached offer whose EMR handoff the user may download: one of their clinic inbox's."""
    return _one(
        clinic_offers(user).filter(pk=pk, status=Offer.Status.ATTACHED).select_related(
            "registration__community", "provider", "clinic__community"),
        "No such attached offer in your scope.",
    )


# --- bulk export (api/bulk/) -----------------------------------------------------------
# An export covers the panels its requester could read when they asked
# (panel_readable_providers); its status and files are the requester's alone.


def bulk_export_of(user, pk):
    """The export `user` asked for, or 404 (another caller's export is indistinguishable from none)."""
    from api.models import BulkExport

    if not user.is_authenticated:
        raise Http404("No such export.")
    return _one(BulkExport.objects.filter(pk=pk, requested_by=user), "No such export.")


def care_plans(user):
    """Care plans of the patients whose care record the user may see (FHIR CarePlan)."""
    from care.models import CarePlan

    return CarePlan.objects.filter(patient__in=care_patients(user))


def care_contacts(user):
    """Contacts with (or about) the patients whose care record the user may see (FHIR Communication)."""
    from care.models import Contact

    return Contact.objects.filter(patient__in=care_patients(user))
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
