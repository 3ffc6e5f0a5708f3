"""The demo caseload's referrals: one in every state (requested, accepted, booked, seen,
report received, closed, rejected, cancelled), a few of them overdue, each made and moved
through care.referrals (dated, audited) as a coordinator would. Called by care.demo."""

import datetime

from care import referrals
from care.referral_models import ReferralStep as S
from care.referral_models import ReferralType

# (kind, to whom, why, the steps it has taken with days after it was sent, days ago it was sent)
STORY = [
    ("geriatric", "Dr. Amani, geriatric medicine, Royal Inland Hospital", "Two falls this winter, memory concerns",
     [], 30),
    ("social_prescribing", "Kamloops social prescribing link worker", "Lonely since her husband died",
     [(S.ACCEPTED, 2)], 25),
    ("home_support", "Interior Health home support", "Help with bathing and meals",
     [(S.ACCEPTED, 3), (S.BOOKED, 5)], 20),
    ("wellbeing_coach", "Health and wellbeing coach, Kamloops PCN", "Type 2 diabetes: diet and activity",
     [(S.ACCEPTED, 2), (S.BOOKED, 4), (S.SEEN, 10)], 40),
    ("mental_health", "Kamloops mental health and substance use", "Low mood after the stroke",
     [(S.ACCEPTED, 5), (S.BOOKED, 9), (S.SEEN, 20), (S.REPORT_RECEIVED, 30)], 45),
    ("specialist", "Dr. Osei, cardiology", "Breathless on exertion, new murmur",
     [(S.ACCEPTED, 3), (S.BOOKED, 6), (S.SEEN, 30), (S.REPORT_RECEIVED, 40), (S.CLOSED, 44)], 60),
    ("financial_help", "Income assistance navigator", "Cannot afford medications", [(S.REJECTED, 4)], 15),
    ("community_program", "Seniors' day program, Kamloops", "Carer respite", [(S.ACCEPTED, 3), (S.CANCELLED, 8)], 12),
]


def tell_referral_story(patients, actor, today) -> int:
    """One referral of STORY for each of the first patients; returns how many were made."""
    made = 0
    for patient, (code, service, reason, steps, ago) in zip(patients, STORY):
        sent = today - datetime.timedelta(days=ago)
        ref = referrals.make_referral(patient, type=ReferralType.objects.get(code=code), service=service,
                                      reason=reason, sent_on=sent, records_sent=made % 2 == 0, actor=actor,
                                      today=today)
        for step, after in steps:
            on = sent + datetime.timedelta(days=after)
            appointment = on + datetime.timedelta(days=7) if step == S.BOOKED else None
            why = {"rejected": "Does not meet the program's criteria", "cancelled": "Family now provides respite"}
            ref = referrals.move(ref, step, on=on, appointment_on=appointment, reason=why.get(step, ""),
                                 actor=actor, today=today)
        made += 1
    return made
