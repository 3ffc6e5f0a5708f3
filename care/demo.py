"""The care coordination part of the demo story (called by attachment/demo/data.py, where the demo's
care coordinator `care-coordinator` of Kamloops PCN is made).

Through the real services, so the demo's records are what a coordinator's clicks would leave
(audit trail, tasks made by the rules): a caseload of a few dozen of the PCN's panel patients in
programmes with need levels, care plans with goals, contacts, one patient in hospital, one just
home (the follow-ups due), one visit to plan, and one MDT meeting with its outcomes and actions.
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from attachment.core import access
from attachment.core.audit import Actor
from care import hospital, mdt, pvp, risk, services
from care.models import Enrolment, Programme

CASELOAD = 36
GOALS = [
    ("Walk to the corner shop without a fall", "in_progress"),
    ("Take the inhalers every day without reminders", "not_started"),
    ("Stay at home with help three mornings a week", "in_progress"),
    ("Get to the diabetes clinic on the bus", "achieved"),
    ("Sleep through the night without breathlessness", "not_started"),
]
WHAT_MATTERS = [
    "Staying in my own home, with my garden.",
    "Seeing my grandchildren on Sundays; not going back to hospital.",
    "Being able to go to school every day, like my friends.",
    "Keeping my independence; not being a burden to my daughter.",
]
NOTES = ["Checked in; managing well.", "Reviewed medicines with the carer.", "Booked the foot clinic.",
         "Talked through the plan with the family.", "No answer; will try again tomorrow."]


def tell_story(coordinator, pcn, *, seed: int = 2026) -> dict:
    """Build the demo caseload of `coordinator` in `pcn`; does nothing if the PCN already has one."""
    if Enrolment.objects.filter(pcn=pcn).exists():
        return {"care caseload": 0}
    rng = random.Random(seed)
    today = timezone.localdate()
    actor = Actor.task("seed_demo", user=coordinator)
    _panel_for_the_demo_clinic(coordinator, today)
    patients = list(access.care_patients(coordinator).order_by("id")[:CASELOAD])
    programmes = {p.code: p for p in Programme.objects.all()}
    figures = {"care caseload": 0, "care plans": 0, "care contacts": 0}
    for n, patient in enumerate(patients):
        age = risk.age_on(patient.date_of_birth, today)
        code = "cshcn" if age < 18 else "frailty" if age >= 65 else rng.choice(["long_term_conditions", "complex_needs"])
        services.enrol(patient, programme=programmes[code], pcn=pcn, need_level=rng.choice([1, 2, 2, 3, 3, 4]),
                       reason=f"Referred by the provider: {programmes[code].name.lower()}", actor=actor)
        figures["care caseload"] += 1
        if n % 3 != 2:
            goal, status = GOALS[n % len(GOALS)]
            services.save_plan_version(patient, services.PlanContent(
                what_matters=WHAT_MATTERS[n % len(WHAT_MATTERS)],
                review_date=today + datetime.timedelta(days=rng.randint(30, 180)),
                goals=[{"text": goal, "target_date": (today + datetime.timedelta(days=60)).isoformat(), "status": status}],
                actions=[{"text": "Call every two weeks", "who": "coordinator", "due": "", "status": "to_do"}],
                carers=[{"name": f"{patient.last_name} family", "relationship": "Family", "phone": "250-555-0100",
                         "email": ""}]), actor=actor)
            figures["care plans"] += 1
        for _ in range(rng.randint(1, 3)):
            services.log_contact(patient, contacted_on=today - datetime.timedelta(days=rng.randint(0, 60)),
                                 channel=rng.choice(["phone", "phone", "home_visit", "video"]),
                                 contacted=rng.choice(["patient", "carer", "family"]), minutes=rng.randint(5, 60),
                                 outcome=rng.choice(["reached", "reached", "left_message"]),
                                 category=rng.choice(["assessment", "care_planning", "navigation", "medication"]),
                                 note=rng.choice(NOTES), actor=actor)
            figures["care contacts"] += 1
    if len(patients) >= 6:
        _transitions(patients, actor, today)
        _meeting(patients, pcn, coordinator, actor, today)
    # Referrals in every state (requested ... closed, rejected, cancelled) join the story here, made by
    # their own function beside these (the referrals work adds it).
    return figures


def _panel_for_the_demo_clinic(coordinator, today):
    """At a small seed the PCN's clinics may have no panels yet: move enough of the province's
    synthetic panel patients (those on no waitlist) to the demo clinic's providers for the
    caseload; the province keeps exactly the panel entries it was seeded with."""
    from django.db.models import Q

    from registries.models import PanelEntry

    missing = CASELOAD + 6 - access.care_patients(coordinator).count()
    providers = list(access.pcn_providers(access.care_pcns(coordinator)).distinct().order_by("id")[:3])
    if missing <= 0 or not providers:
        return
    # Older adults mostly, and a few children (the CSHCN registry), as a PCN's caseload is.
    adults = datetime.date(today.year - 66, today.month, min(today.day, 28))
    children = datetime.date(today.year - 16, today.month, min(today.day, 28))
    movable = (PanelEntry.objects.filter(ended_at__isnull=True, patient__registration__isnull=True)
               .exclude(provider__in=access.pcn_providers(access.care_pcns(coordinator))))
    chosen = list(movable.filter(Q(patient__date_of_birth__lte=adults)).order_by("id")
                  .values_list("id", flat=True)[:missing - missing // 6])
    chosen += list(movable.filter(patient__date_of_birth__gte=children).order_by("id")
                   .values_list("id", flat=True)[:missing // 6])
    for i, provider in enumerate(providers):
        PanelEntry.objects.filter(pk__in=chosen[i::len(providers)]).update(provider=provider)


def _transitions(patients, actor, today):
    in_hospital, home, to_plan = patients[0], patients[1], patients[2]
    hospital.record_admission(in_hospital, hospital="Royal Inland Hospital", reason="Pneumonia; confused on arrival",
                              admitted_on=today - datetime.timedelta(days=3), actor=actor)
    stay = hospital.record_admission(home, hospital="Royal Inland Hospital", reason="Fall at home, wrist fracture",
                                     admitted_on=today - datetime.timedelta(days=9), actor=actor)
    hospital.record_discharge(stay, discharged_on=today - datetime.timedelta(days=1), summary_received=True,
                              note="Home with home-care support twice a day", actor=actor)
    services.save_care_profile(to_plan, diagnoses="Heart failure\nType 2 diabetes", deficits=["falls", "mobility"],
                               complexity_score=4, needs_pvp=True, actor=actor)
    visit = pvp.plan_visit(to_plan, visit_on=today + datetime.timedelta(days=4), purpose="Annual complex care review",
                           actor=actor)
    pvp.update_item(visit, item="labs", done=True, note="HbA1c 7.9 (last month); eGFR stable", actor=actor)


def _meeting(patients, pcn, coordinator, actor, today):
    now = timezone.now()
    meeting = mdt.schedule_meeting(pcn=pcn, title="Kamloops PCN complex care MDT", location="Clinic boardroom",
                                   meets_at=now - datetime.timedelta(days=1), actor=actor)
    mdt.record_attendance(meeting, attendees="Cam Carer, care coordinator\nDr. Sandhu, family physician\n"
                                             "Pat Lee, home and community care\nSam Ortiz, pharmacist", actor=actor)
    for patient, reason in ((patients[1], "Home from hospital; coping?"), (patients[3], "Falls, lives alone"),
                            (patients[4], "Medicines review")):
        item = mdt.add_to_agenda(meeting, patient, reason=reason, actor=actor)
        mdt.record_outcome(item, outcome="Agreed: home-care visit and a medication review.", actor=actor)
        mdt.add_action(item, title="Ask home care for a safety assessment", due_on=today + datetime.timedelta(days=5),
                       assigned_to=coordinator, actor=actor)
