"""The kinds of referral a care coordinator makes, each with the days each step is expected
to take: data, loaded by a migration (and kept in the admin), not an enum, so a PCN can add
the services it works with and tune the days to what they really take.

Days per step, in the order a referral moves (see care.referrals.STEPS):
    accept:  requested → accepted (the service answers)
    book:    accepted → appointment booked
    seen:    days after the appointment date by which it should be confirmed as seen
    report:  seen → report received (the letter or summary back)
    close:   report received → closed (the coordinator and provider act on it)
"""

CATEGORIES = [
    ("specialist", "Specialist"),
    ("social_prescribing", "Social prescribing link worker"),
    ("wellbeing_coach", "Health and wellbeing coach"),
    ("community", "Community service"),
    ("home_care", "Home and community care"),
    ("financial", "Financial help"),
]

# (code, name, category, accept, book, seen, report, close)
REFERRAL_TYPES = [
    ("specialist", "Specialist consultation", "specialist", 14, 30, 3, 21, 7),
    ("geriatric", "Geriatric medicine assessment", "specialist", 14, 45, 3, 21, 7),
    ("mental_health", "Mental health and substance use services", "specialist", 10, 21, 3, 14, 7),
    ("social_prescribing", "Social prescribing link worker", "social_prescribing", 7, 14, 3, 14, 7),
    ("wellbeing_coach", "Health and wellbeing coach", "wellbeing_coach", 7, 14, 3, 14, 7),
    ("home_support", "Home support (home and community care)", "home_care", 7, 14, 3, 14, 7),
    ("community_nursing", "Community nursing", "home_care", 3, 7, 2, 7, 5),
    ("community_program", "Community program (seniors' centre, day program)", "community", 10, 21, 3, 14, 7),
    ("financial_help", "Financial help (benefits, income assistance)", "financial", 10, 21, 3, 21, 7),
]


def load(ReferralType):
    """Create whichever types are missing (the model passed in, so migrations can use it)."""
    for position, (code, name, category, accept, book, seen, report, close) in enumerate(REFERRAL_TYPES, start=1):
        ReferralType.objects.get_or_create(code=code, defaults={
            "name": name, "category": category, "position": position, "accept_days": accept, "book_days": book,
            "seen_days": seen, "report_days": report, "close_days": close,
        })
