"""Every page that shows personal information writes an audit event: a crawl of them.

Every URL name of the project is declared here, either as personal (with who opens it in
scope and how) or as not personal (with why), so a new view cannot be forgotten: the
first test fails until it is declared. The admin's model pages are crawled the same way.
"""

import datetime
import time

import pytest
from django.contrib import admin
from django.urls import URLResolver, get_resolver, reverse

from attachment.core import access, roles
from attachment.core.admin import AuditedAdmin
from attachment.core.audit import Actor
from attachment.core.models import AuditEvent
from attachment.workflow import services as workflow
from attachment.workflow.models import Proposal
from care import services as care
from care.models import Programme, Task
from providers.capacity import declare_capacity
from registries.models import PanelConflict, PanelEntry, PanelUpload, WaitlistFlag
from registries.panels import uploads
from tests.attachment.conftest import offer_for, run
from tests.conftest import login
from tests.factories import PatientFactory, ProviderFactory, UserFactory, household
from tests.registries.conftest import good_rows, panel_csv, phn_list

pytestmark = pytest.mark.django_db
DOB = datetime.date(1980, 5, 17)  # the factories' date of birth
READS = ["view", "search", "export"]  # an export (a bulk file fetched) reads people too

# name -> (who opens it, how: a function of the world giving (method, url, data))
PERSONAL = {
    "patients:register_done": ("public", lambda w: ("get", reverse("patients:register_done"), None)),
    "patients:status": ("public", lambda w: ("post", reverse("patients:status"),
                                             {"reference_code": w["registration"].reference_code,
                                              "date_of_birth": str(DOB)})),
    "patients:waitlist": ("coordinator", lambda w: ("get", reverse("patients:waitlist"), None)),
    "patients:call_list": ("coordinator", lambda w: ("get", reverse("patients:call_list"), None)),
    "patients:registration": ("coordinator", lambda w: ("get", reverse("patients:registration",
                                                                       args=[w["registration"].pk]), None)),
    "patients:edit": ("coordinator", lambda w: ("get", reverse("patients:edit", args=[w["registration"].pk]), None)),
    "registries:panel": ("moa", lambda w: ("get", reverse("registries:panel", args=[w["provider"].pk]), None)),
    "registries:panel_remove": ("moa", lambda w: ("get", reverse("registries:panel_remove",
                                                                 args=[w["entry"].pk]), None)),
    "registries:upload": ("moa", lambda w: ("get", reverse("registries:upload", args=[w["upload"].pk]), None)),
    "registries:division": ("coordinator", lambda w: ("get", reverse("registries:division"), None)),
    "registries:conflicts": ("coordinator", lambda w: ("get", reverse("registries:conflicts"), None)),
    "registries:flags": ("coordinator", lambda w: ("get", reverse("registries:flags"), None)),
    "workflow:proposals": ("coordinator", lambda w: ("get", reverse("workflow:proposals"), None)),
    "workflow:skip": ("coordinator", lambda w: ("get", reverse("workflow:skip", args=[w["proposal"].pk]), None)),
    "workflow:offers": ("coordinator", lambda w: ("get", reverse("workflow:offers"), None)),
    "workflow:offer": ("coordinator", lambda w: ("get", reverse("workflow:offer", args=[w["offer"].pk]), None)),
    "workflow:inbox": ("moa", lambda w: ("get", reverse("workflow:inbox"), None)),
    "workflow:inbox_offer": ("moa", lambda w: ("get", reverse("workflow:inbox_offer", args=[w["offer"].pk]), None)),
    "patients:identity_reviews": ("coordinator", lambda w: ("get", reverse("patients:identity_reviews"), None)),
    "workflow:confirm_send": ("coordinator", lambda w: ("post", reverse("workflow:confirm_send"),
                                                        {"proposal": [w["proposal"].pk]})),
    "care:caseload": ("care", lambda w: ("get", reverse("care:caseload"), None)),
    "care:find": ("care", lambda w: ("get", reverse("care:find"), {"q": "Joe"})),
    "care:candidates": ("care", lambda w: ("get", reverse("care:candidates"), None)),
    "care:worklist": ("care", lambda w: ("get", reverse("care:worklist"), None)),
    "care:patient": ("care", lambda w: ("get", reverse("care:patient", args=[w["care_patient"].pk]), None)),
    "care:enrol": ("care", lambda w: ("get", reverse("care:enrol", args=[w["care_patient"].pk]), None)),
    "care:contact": ("care", lambda w: ("get", reverse("care:contact", args=[w["care_patient"].pk]), None)),
    "care:plan_edit": ("care", lambda w: ("get", reverse("care:plan_edit", args=[w["care_patient"].pk]), None)),
    "care:plan_version": ("care", lambda w: ("get", reverse("care:plan_version", args=[w["care_patient"].pk, 1]),
                                             None)),
    "care:plan_compare": ("care", lambda w: ("get", reverse("care:plan_compare", args=[w["care_patient"].pk]),
                                             {"a": 1, "b": 2})),
    "care:task_new": ("care", lambda w: ("get", reverse("care:task_new", args=[w["care_patient"].pk]), None)),
    "care:discharge": ("care", lambda w: ("get", reverse("care:discharge", args=[w["enrolment"].pk]), None)),
    "care:need_level": ("care", lambda w: ("get", reverse("care:need_level", args=[w["enrolment"].pk]), None)),
    "care:task_assign": ("care", lambda w: ("get", reverse("care:task_assign", args=[w["task"].pk]), None)),
    "care:profile": ("moa", lambda w: ("get", reverse("care:profile", args=[w["care_patient"].pk]), None)),
    # Referrals (care/referral_views.py)
    "care:referral_new": ("care", lambda w: ("get", reverse("care:referral_new", args=[w["care_patient"].pk]), None)),
    "care:referral": ("care", lambda w: ("get", reverse("care:referral", args=[_referral(w).pk]), None)),
    "care:referrals_overdue": ("care", lambda w: ("get", reverse("care:referrals_overdue"), None)),
    # Hospital stays, pre-visit planning, the provider's side, the printable plan, MDT meetings.
    "care:stay_new": ("care", lambda w: ("get", reverse("care:stay_new", args=[w["care_patient"].pk]), None)),
    "care:stay_discharge": ("care", lambda w: ("get", reverse("care:stay_discharge", args=[w["stay"].pk]), None)),
    "care:stay_close": ("care", lambda w: ("get", reverse("care:stay_close", args=[w["stay"].pk]), None)),
    "care:visit_new": ("care", lambda w: ("get", reverse("care:visit_new", args=[w["care_patient"].pk]), None)),
    "care:visit": ("care", lambda w: ("get", reverse("care:visit", args=[w["visit"].pk]), None)),
    "care:visit_summary": ("moa", lambda w: ("get", reverse("care:visit_summary", args=[w["visit"].pk]), None)),
    "care:my_panel": ("moa", lambda w: ("get", reverse("care:my_panel"), None)),
    "care:plan_print": ("care", lambda w: ("get", reverse("care:plan_print", args=[w["care_patient"].pk]), None)),
    "care:mdt_meetings": ("care", lambda w: ("get", reverse("care:mdt_meetings"), None)),
    "care:mdt_meeting": ("care", lambda w: ("get", reverse("care:mdt_meeting", args=[w["meeting"].pk]), None)),
    "care:mdt_item": ("care", lambda w: ("get", reverse("care:mdt_item", args=[w["mdt_item"].pk]), None)),
    "offer:respond": ("household", lambda w: ("get", reverse("offer:respond",
                                                             args=[w["offer"].registration.reference_code]), None)),
    # Local waitlists (linkage): the report quotes the file's rows; rows and candidates are people.
    "linkage:import": ("coordinator", lambda w: ("get", reverse("linkage:import", args=[w["local_list"].pk]), None)),
    "linkage:import_rows": ("coordinator", lambda w: ("get", reverse("linkage:import_rows",
                                                                     args=[w["local_list"].pk]), None)),
    "linkage:queue": ("coordinator", lambda w: ("get", reverse("linkage:queue"), None)),
    "linkage:review": ("coordinator", lambda w: ("get", reverse("linkage:review", args=[w["local_row"].pk]), None)),
    "linkage:undo": ("coordinator", lambda w: ("get", reverse("linkage:undo", args=[w["local_row"].pk]), None)),
    "linkage:duplicates": ("coordinator", lambda w: ("get", reverse("linkage:duplicates"), None)),
    "linkage:duplicate": ("coordinator", lambda w: ("get", reverse("linkage:duplicate",
                                                                   args=[w["duplicate_pair"].pk]), None)),
    # The REST API (api/) and FHIR bulk export (api/bulk/): the same people, the same audit.
    "api:registration-list": ("coordinator", lambda w: ("get", reverse("api:registration-list"), None)),
    "api:registration-detail": ("coordinator", lambda w: ("get", reverse("api:registration-detail",
                                                                         args=[w["registration"].pk]), None)),
    "api:panel-entries": ("moa", lambda w: ("get", reverse("api:panel-entries", args=[w["provider"].pk]), None)),
    "api:offer-list": ("moa", lambda w: ("get", reverse("api:offer-list"), None)),
    "api:offer-detail": ("moa", lambda w: ("get", reverse("api:offer-detail", args=[w["offer"].pk]), None)),
    "api:run-proposals": ("coordinator", lambda w: ("get", reverse("api:run-proposals",
                                                                   args=[w["proposal"].match_run_id]), None)),
    "bulk:file": ("moa", lambda w: ("get", _bulk_file_url(w), None)),
    # --- the household's self-service (proved by the one-time code) ---
    "patients:self_household": ("self", lambda w: ("get", reverse("patients:self_household"), None)),
    "patients:self_contact": ("self", lambda w: ("get", reverse("patients:self_contact"), None)),
    "patients:self_needs": ("self", lambda w: ("get", reverse("patients:self_needs"), None)),
    "patients:self_member_add": ("self", lambda w: ("get", reverse("patients:self_member_add"), None)),
    "patients:self_leave": ("self", lambda w: ("get", reverse("patients:self_leave"), None)),
}


def _bulk_file_url(world):
    """A finished export of the MOA's panels, and its Patient file."""
    from api.bulk import services as bulk

    export = bulk.request_export(user=world["moa"], provider_ids=[world["provider"].pk], types=["Patient"],
                                 since=None, request_url="/fhir/$export")
    bulk.run_export(export.pk)
    return reverse("bulk:file", args=[export.pk, "Patient"])

POST_ONLY = "a change (POST only); the service it calls audits the change"
FORM = "an empty form; what it submits is audited by its service"
DIRECTORY = "the Clinic and Provider Registry: clinics' and providers' professional details, no patient"
AGGREGATE = "aggregates only (counts, figures), never a person"
NOT_PERSONAL = {
    "home": "a redirect to the user's workspace",
    "healthz": "the health check",
    "patients:register": FORM,
    "patients:staff_register": FORM,
    "patients:add_note": POST_ONLY, "patients:withdraw": POST_ONLY, "patients:ineligible": POST_ONLY,
    "patients:priority": POST_ONLY,
    "providers:workspace": DIRECTORY, "providers:provider": DIRECTORY, "providers:provider_edit": DIRECTORY,
    "providers:capacity": DIRECTORY, "providers:delegations": DIRECTORY, "providers:clinic": DIRECTORY,
    "providers:clinic_edit": DIRECTORY,
    "providers:delegation_accept": POST_ONLY, "providers:delegation_end": POST_ONLY,
    "providers:clinic_staff_add": POST_ONLY, "providers:clinic_staff_remove": POST_ONLY,
    "registries:panel_add": FORM,
    "registries:upload_new": "the upload form and the provider's past uploads (file names and counts)",
    "registries:upload_progress": "the load's progress: counts only",
    "registries:upload_load": POST_ONLY, "registries:upload_cancel": POST_ONLY,
    "registries:conflict_resolve": POST_ONLY, "registries:flag_resolve": POST_ONLY,
    "workflow:runs": AGGREGATE, "workflow:run": AGGREGATE, "workflow:run_progress": AGGREGATE,
    "workflow:send_offers": POST_ONLY,
    "patients:identity_resolve": POST_ONLY, "providers:delegation_request": POST_ONLY, "care:task_done": POST_ONLY,
    "care:stay_summary": POST_ONLY, "care:visit_cancel": POST_ONLY, "care:provider_task_done": POST_ONLY,
    "offer:respond_done": "a thank-you page",
    "reports:dashboard": AGGREGATE, "reports:forecast": AGGREGATE, "reports:export": AGGREGATE,
    "reports:refresh": POST_ONLY, "reports:refresh_status": AGGREGATE,
    "linkage:imports": "the upload form and the division's past local lists (file names and counts)",
    "linkage:import_progress": "the import's progress: counts only",
    "linkage:import_run": POST_ONLY, "linkage:import_cancel": POST_ONLY, "linkage:duplicate_undo": POST_ONLY,
    "api:schema": "the API's OpenAPI description", "api:docs": "the API's reference page",
    "api:provider-list": DIRECTORY, "api:provider-detail": DIRECTORY, "api:provider-capacity": DIRECTORY,
    "api:panel-list": "panel sizes: a count per provider", "api:panel-detail": "a panel's size: a count",
    "api:panel-remove-patient": POST_ONLY, "api:offer-accept": POST_ONLY, "api:offer-decline": POST_ONLY,
    "api:offer-meet-and-greet": POST_ONLY,
    "api:run-list": AGGREGATE, "api:run-detail": AGGREGATE, "api:reports": AGGREGATE,
    "oauth2_provider:token": "a system's OAuth 2 token", "oauth2_provider:revoke-token": POST_ONLY,
    "oauth2_provider:introspect": "whether a token is valid, for the system holding it",
    "bulk:export_system": "starts an export (audited as asked); its files are audited when fetched",
    "bulk:export_group": "starts an export (audited as asked); its files are audited when fetched",
    "bulk:status": "an export's progress and manifest: counts and links",
}


# --- FHIR (fhir/): resources read and searched, the EMR handoff, the webhook outbox --------
def _attached_handoff(w):
    workflow.patient_confirm(w["offer"].pk, by=w["coordinator"])  # the world's offer is clinic-accepted
    return "get", reverse("fhir:handoff", args=[w["offer"].pk]), None


PERSONAL |= {
    "fhir:read": ("moa", lambda w: ("get", reverse("fhir:read", args=["Patient", w["entry"].patient_id]), None)),
    "fhir:search": ("moa", lambda w: ("get", reverse("fhir:search", args=["Patient"]), {"name": "Joe"})),
    "fhir:handoff": ("moa", _attached_handoff),
}
NOT_PERSONAL |= {
    "fhir:metadata": "the FHIR CapabilityStatement: what the server does",
    "fhir:process_message": POST_ONLY,
    "fhir:integration": "a clinic's EMR integration settings (facility number, webhook URL): no patient",
    "fhir:deliveries": "failed handoff deliveries: clinic, provider, offer number, attempts, error; no patient",
    "fhir:delivery_retry": POST_ONLY,
    "care:activity": AGGREGATE, "care:activity_csv": AGGREGATE,
    # The public side in five languages (h-i18n): the language switch, and the "already
    # registered" path, which shows nobody's data (the code goes to the email on file,
    # and that sending is audited by patients.already).
    "set_language": "Django's language switch: sets a cookie and redirects",
    "patients:already_registered": "a form whose answer is the same whatever was typed; a match is audited",
    # --- self-service and the open figures ---
    "patients:self_start": "the proof form: the same answer whether or not the details match, nothing shown",
    "patients:self_code": "the one-time code form: nothing shown until the code is right",
    "patients:self_member_remove": POST_ONLY, "patients:self_sign_out": POST_ONLY,
    "figures:index": AGGREGATE + ", suppressed, public", "figures:csv": AGGREGATE + ", suppressed, public",
}
THIRD_PARTY_PREFIXES = ("account_", "mfa_")  # allauth: the signed-in user's own account

# Admin: the models whose pages show people, and those that do not.
ADMIN_PERSONAL = {"patients.Registration", "patients.Patient", "registries.PanelEntry", "registries.PanelUpload",
                  "registries.PanelConflict", "registries.WaitlistFlag"}
ADMIN_NOT_PERSONAL = {
    "attachment.AuditEvent", "attachment.JobRun", "reports.ReportSnapshot",  # the trail, job figures, aggregates
    "providers.CapacityDeclaration", "providers.Clinic", "providers.Delegation", "providers.Provider",  # directory
    "registries.Community", "registries.Division", "registries.HealthAuthority", "registries.PCN",  # geography
    "care.Programme",  # the list of care programmes
    "api.BulkExport",  # who exported which panels when: provider ids and counts, never a person
    "care.ReferralType",  # the kinds of referral and their expected days
}
# An API client's page: changes to who may call (its scope) are audited like a person's.
ADMIN_PERSONAL |= {"api.ApiClient"}
OUR_APPS = ("attachment", "care", "patients", "providers", "registries", "reports", "api")


def _referral(world):
    """A referral of the world's care patient (made when a page of one is opened)."""
    from care import referrals
    from care.models import ReferralType

    return referrals.make_referral(world["care_patient"], type=ReferralType.objects.first(), service="Dr. Amani",
                                   reason="Falls", sent_on=datetime.date.today(), actor=Actor(user=world["care"]))


def _url_names(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue  # crawled through admin.site below
            yield from _url_names(pattern.url_patterns, pattern.namespace or namespace)
        elif pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_view_is_declared_personal_or_not():
    names = {n for n in _url_names(get_resolver().url_patterns) if not n.startswith(THIRD_PARTY_PREFIXES)}
    assert names - PERSONAL.keys() - NOT_PERSONAL.keys() == set(), "declare each new view above"
    assert (PERSONAL.keys() | NOT_PERSONAL.keys()) - names == set(), "a declared view no longer exists"


@pytest.fixture
def world(coordinator, moa, provider, kamloops):
    registration = household(2, community=kamloops)
    patient = PatientFactory(first_name="Ming", last_name="Joe")
    entry = PanelEntry.objects.create(provider=provider, patient=patient, since=datetime.date(2020, 1, 1),
                                      source=PanelEntry.Source.UPLOAD)
    upload = uploads.create_upload(provider, data=panel_csv(good_rows(phn_list(2)) + ["12345,Bad,Row,1980-01-01,,,"]),
                                   file_name="panel.csv", by=moa)
    declare_capacity(provider, accepting=True, new_patients=3)
    offered = household(1, community=kamloops)
    offer = offer_for(offered, coordinator)
    workflow.clinic_accept(offer.pk, by=moa)
    run(coordinator)
    proposal = Proposal.objects.filter(status=Proposal.Status.PROPOSED).first()
    other = ProviderFactory()
    conflict = PanelConflict.objects.create(patient=patient, existing_entry=entry, claiming_provider=other)
    flag = WaitlistFlag.objects.create(patient=registration.members.first(), registration=registration,
                                       division=registration.division, provider=provider)
    care_coordinator = UserFactory(username="care-coordinator")
    roles.grant_pcn(care_coordinator, kamloops.pcn)
    care_actor = Actor(user=care_coordinator)
    enrolment = care.enrol(patient, programme=Programme.objects.first(), reason="Frail, lives alone", need_level=2,
                           actor=care_actor)
    care.save_plan_version(patient, care.PlanContent(what_matters="Staying at home", review_date=datetime.date.today() + datetime.timedelta(days=90), goals=[],
                                                     actions=[], carers=[]), actor=care_actor)
    care.save_plan_version(patient, care.PlanContent(what_matters="Staying at home, with a carer", review_date=datetime.date.today() + datetime.timedelta(days=90), goals=[],
                                                     actions=[], carers=[]), actor=care_actor)
    local_list, local_row, duplicate_pair = _linkage_world(coordinator, registration)
    world = _care_transitions_world(patient, care_actor, moa, kamloops.pcn)
    return {**world, "care": care_coordinator, "care_patient": patient, "enrolment": enrolment,
            "local_list": local_list, "local_row": local_row, "duplicate_pair": duplicate_pair,
            "task": Task.objects.filter(patient=patient).first(),
            "registration": registration, "entry": entry, "upload": PanelUpload.objects.get(pk=upload.pk),
            "offer": offer, "proposal": proposal, "provider": provider, "conflict": conflict, "flag": flag,
            "coordinator": coordinator, "moa": moa}


def _linkage_world(coordinator, registration):
    """A checked local list with one row waiting for review, and a probable duplicate pair."""
    from django.utils import timezone

    from linkage import imports
    from linkage.models import DuplicatePair, ImportRow

    data = (b"list_id,last_name,first_name,date_of_birth,community,listed_on\n"
            b"L1,Joe,Ming,1980-05-17,Kamloops,2020-01-01\nL2,Bad,Row,1980-13-01,Kamloops,2020-01-01\n")
    upload = imports.create_import(registration.division, data=data, file_name="local.csv", actor=Actor(user=coordinator))
    a, b = registration.members.order_by("pk")
    row = ImportRow.objects.create(
        upload=upload, division=registration.division, line=2, list_id="L1", last_name="Joe", first_name="Ming",
        date_of_birth=DOB, community=registration.community, listed_on=datetime.date(2020, 1, 1), row_hash="0" * 64,
        decision="review", candidates=[{"person": a.pk, "score": 0.6, "evidence": ["date of birth matches"]}])
    pair = DuplicatePair.objects.create(a=a, b=b, division=registration.division, score=0.9, suggestion="review",
                                        evidence=["last name matches"], last_seen_at=timezone.now())
    return upload, row, pair


def _care_transitions_world(patient, care_actor, moa, pcn):
    """A stay, a visit to plan (the provider asked for PVP) and an MDT meeting about the patient."""
    from django.utils import timezone

    from care import hospital, mdt, pvp

    today = timezone.localdate()
    care.save_care_profile(patient, needs_pvp=True, complexity_score=3, actor=Actor(user=moa))
    stay = hospital.record_admission(patient, hospital="Royal Inland Hospital", admitted_on=today, reason="A fall",
                                     actor=care_actor)
    visit = pvp.plan_visit(patient, visit_on=today + datetime.timedelta(days=10), actor=care_actor)
    meeting = mdt.schedule_meeting(pcn=pcn, title="Complex care MDT", actor=care_actor,
                                   meets_at=timezone.now() + datetime.timedelta(days=2))
    item = mdt.add_to_agenda(meeting, patient, reason="Falls at home", actor=care_actor)
    return {"stay": stay, "visit": visit, "meeting": meeting, "mdt_item": item}


def _as(client, who, world):
    client.defaults["REMOTE_ADDR"] = "10.77.0.1"
    if who in ("coordinator", "moa", "care"):
        login(client, world[who])
    elif who == "public":
        session = client.session
        session["registered_id"] = world["registration"].pk
        session.save()
    elif who == "self":
        session = client.session
        session[access.HOUSEHOLD_SESSION_KEY] = {"registration": world["registration"].pk, "until": time.time() + 600}
        session.save()
    elif who == "household":
        response = client.post(reverse("offer:respond", args=[world["offer"].registration.reference_code]),
                               {"reference_code": world["offer"].registration.reference_code,
                                "date_of_birth": str(DOB)})
        assert response.status_code == 302
    return client


@pytest.mark.parametrize("name", sorted(PERSONAL))
def test_each_personal_view_writes_an_audit_event(client, settings, world, name):
    settings.ATTACH_LOOKUP_MIN_SECONDS = 0
    who, how = PERSONAL[name]
    _as(client, who, world)
    if name == "workflow:skip":
        assert world["proposal"] is not None
    method, url, data = how(world)
    before = AuditEvent.objects.filter(action__in=READS).count()
    response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
    assert response.status_code == 200, f"{name}: {response.status_code}"
    events = AuditEvent.objects.filter(action__in=READS).order_by("-pk")
    assert events.count() > before, f"{name} showed personal information and wrote no audit event"
    if who in ("coordinator", "moa", "care"):
        assert events.first().user == world[who]


def test_every_admin_model_page_is_declared_and_personal_ones_are_audited():
    registered = {model._meta.label for model in admin.site._registry if model._meta.app_label in OUR_APPS}
    assert registered == ADMIN_PERSONAL | ADMIN_NOT_PERSONAL, "declare each new admin model above"
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, AuditedAdmin) == (model._meta.label in ADMIN_PERSONAL), model._meta.label


@pytest.mark.parametrize("label", sorted(ADMIN_PERSONAL))
def test_the_admins_personal_pages_write_audit_events(client, administrator, world, label):
    app_label, model_name = label.lower().split(".")
    if label == "api.ApiClient":
        from api.clients import register_client

        obj, _ = register_client(name="Joe's EMR", kind="emr", role=roles.MOA, scope=[world["provider"]])
    else:
        obj = {"patients.registration": world["registration"], "patients.patient": world["entry"].patient,
               "registries.panelentry": world["entry"], "registries.panelupload": world["upload"],
               "registries.panelconflict": world["conflict"], "registries.waitlistflag": world["flag"]}[label.lower()]
    login(client, administrator)
    pages = [reverse(f"admin:{app_label}_{model_name}_changelist"),
             reverse(f"admin:{app_label}_{model_name}_change", args=[obj.pk]),
             reverse(f"admin:{app_label}_{model_name}_history", args=[obj.pk])]
    for url in pages:
        before = AuditEvent.objects.filter(user=administrator, object_type=label).count()
        assert client.get(url).status_code == 200, url
        assert AuditEvent.objects.filter(user=administrator, object_type=label).count() == before + 1, url
    found = client.get(reverse(f"admin:{app_label}_{model_name}_changelist"), {"q": "Joe"})
    assert found.status_code == 200
    assert AuditEvent.objects.filter(user=administrator, object_type=label, action="search").exists()
