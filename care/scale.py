"""Care coordination at provincial scale, for `seed_demo --care` and the benchmark: about
100,000 enrolled patients, 2,000,000 contacts, 300,000 referrals, 300,000 tasks and
20,000 hospital stays, made inside PostgreSQL with INSERT ... SELECT (no row crosses the
wire), in one transaction, in seconds rather than hours.

Everything is made from what is already there: patients with an open panel entry at a
clinic of a PCN are enrolled in that PCN (two synthetic care coordinators per PCN do the
work); their contacts, referrals, tasks and stays fall between their enrolment and today.
The database's constraints check every row as it goes in (referral dates in order, a
step with its date, minutes within bounds, one open task per rule key): a bug here fails
the seed, it does not leave bad data behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from attachment.core import roles
from care.activity_rollup_sql import REBUILD
from care.models import ContactCategory, ContactChannel, Programme
from care.referral_models import ReferralType
from registries.models import PCN

COORDINATORS_PER_PCN = 2
# Days past its step's due date after which the seed's team has cancelled a stuck referral.
STALE_AFTER_DAYS = 21
HOSPITALS = ["Royal Inland Hospital", "Vancouver General Hospital", "Surrey Memorial Hospital", "Kelowna General",
             "Victoria General Hospital", "Nanaimo Regional General", "University Hospital of Northern BC",
             "Abbotsford Regional Hospital", "Burnaby Hospital", "Richmond Hospital", "Lions Gate Hospital"]
REASONS = ["Fall with hip fracture", "Pneumonia", "Heart failure", "COPD exacerbation", "Delirium",
           "Urinary tract infection", "Stroke", "Elective surgery"]


@dataclass
class CareSeedReport:
    counts: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)

    def lines(self):
        yield "Care seeded: " + ", ".join(f"{k} {v:,}" for k, v in self.counts.items())
        yield "Care seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in self.seconds.items()) + \
            f" (total {sum(self.seconds.values()):.1f})"


def _pick(values, expr="random()"):
    quoted = ",".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"(ARRAY[{quoted}])[1 + floor({expr} * {len(values)})::int]"


def _coordinators(report) -> int:
    """Two care coordinators per PCN (`care-<pcn id>-<n>`), each granted the PCN."""
    User = get_user_model()
    made = 0
    for pcn in PCN.objects.order_by("pk"):
        for n in range(1, COORDINATORS_PER_PCN + 1):
            user, created = User.objects.get_or_create(
                username=f"care-{pcn.pk}-{n}",
                defaults={"first_name": f"Coordinator {n}", "last_name": pcn.name, "email": f"care-{pcn.pk}-{n}@attach.example"})
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
                made += 1
            roles.grant_pcn(user, pcn)
    report.counts["care coordinators"] = made
    return made


def seed_care(*, patients: int = 100_000, contacts_per_patient: int = 20, referrals_per_patient: int = 3,
              tasks_per_patient: int = 3, stays: int = 20_000, out=None) -> CareSeedReport:
    """Enrol up to `patients` panel patients and give them a care history (see the module)."""
    from attachment.demo.data import _fast_bulk_mode, _indexes_rebuilt_after, _Timer

    report = CareSeedReport()
    with _Timer(report, "coordinators"):
        _coordinators(report)
    programmes = list(Programme.objects.filter(active=True).values_list("pk", flat=True))
    types = list(ReferralType.objects.filter(active=True).order_by("pk").values_list(
        "pk", "accept_days", "book_days", "seen_days", "report_days", "close_days"))
    with transaction.atomic(), connection.cursor() as cur:
        _fast_bulk_mode(cur)
        cur.execute("SELECT setseed(0.42)")
        with _Timer(report, "enrolments"):
            _enrolments(cur, patients, programmes, report)
        tables = ("care_contact", "care_referral", "care_task", "care_hospitalstay")
        with _indexes_rebuilt_after(cur, *tables, report=report):
            with _Timer(report, "contacts"):
                _contacts(cur, contacts_per_patient, report)
            with _Timer(report, "referrals"):
                _referrals(cur, referrals_per_patient, types, report)
            with _Timer(report, "tasks"):
                _tasks(cur, tasks_per_patient, report)
            with _Timer(report, "hospital stays"):
                _stays(cur, stays, report)
        with _Timer(report, "activity rollups"):
            # The bulk load ran with triggers off (replica mode): rebuild what they keep.
            cur.execute(REBUILD)
        with _Timer(report, "analyze"):
            for table in ("care_enrolment", "care_needlevelchange", "care_contactmonth", "care_personmonth", *tables):
                cur.execute(f"ANALYZE {table}")
    return report


def _enrolments(cur, patients, programmes, report):
    # One PCN per patient: the PCN of a clinic of their provider (the lowest, so it is stable).
    cur.execute("DROP TABLE IF EXISTS _care_pat")
    cur.execute(f"""
        CREATE TEMP TABLE _care_pat ON COMMIT DROP AS
        SELECT patient_id, pcn_id, enrolled_at, discharged_at, by_id, programme_id, need_level,
               row_number() OVER () AS i
        FROM (
            SELECT pe.patient_id, min(c.pcn_id) AS pcn_id,
                   now() - (random() * 900 + 10) * interval '1 day' AS enrolled_at,
                   (ARRAY[{",".join(str(p) for p in programmes)}])[1 + floor(random() * {len(programmes)})::int]
                       AS programme_id,
                   1 + floor(power(random(), 1.3) * 4)::int AS need_level,
                   random() AS r, random() AS pick
            FROM registries_panelentry pe
            JOIN providers_providerclinic pc ON pc.provider_id = pe.provider_id
            JOIN providers_clinic cl ON cl.id = pc.clinic_id
            JOIN registries_community c ON c.id = cl.community_id
            WHERE pe.ended_at IS NULL AND c.pcn_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM care_enrolment e WHERE e.patient_id = pe.patient_id)
            GROUP BY pe.patient_id
            ORDER BY random()
            LIMIT {int(patients)}
        ) chosen
        CROSS JOIN LATERAL (
            SELECT CASE WHEN chosen.r < 0.15 THEN chosen.enrolled_at + (now() - chosen.enrolled_at) * random()
                   END AS discharged_at,
                   (SELECT u.id FROM auth_user u WHERE u.username = 'care-' || chosen.pcn_id || '-'
                        || (1 + floor(chosen.pick * {COORDINATORS_PER_PCN})::int)) AS by_id
        ) extra
    """)
    cur.execute("CREATE INDEX ON _care_pat (i)")
    cur.execute("ANALYZE _care_pat")
    cur.execute("""
        INSERT INTO care_enrolment (patient_id, programme_id, pcn_id, reason, need_level, enrolled_at, enrolled_by_id,
                                    discharged_at, discharged_by_id, discharge_reason)
        SELECT patient_id, programme_id, pcn_id, 'Identified by the practice', need_level, enrolled_at, by_id,
               discharged_at, CASE WHEN discharged_at IS NOT NULL THEN by_id END,
               CASE WHEN discharged_at IS NOT NULL THEN 'Goals met, stable' ELSE '' END
        FROM _care_pat
    """)
    report.counts["enrolments"] = cur.rowcount
    cur.execute("""
        INSERT INTO care_needlevelchange (enrolment_id, from_level, to_level, reason, at, by_id)
        SELECT id, NULL, need_level, 'Enrolled: ' || reason, enrolled_at, enrolled_by_id FROM care_enrolment
        WHERE patient_id IN (SELECT patient_id FROM _care_pat)
    """)


def _contacts(cur, per, report):
    # Spread over each patient's time in care, most of it recent-ish; minutes skewed short.
    cur.execute(f"""
        INSERT INTO care_contact (patient_id, pcn_id, contacted_on, channel, contacted, minutes, outcome, category,
                                  note, by_id, created_at)
        SELECT p.patient_id, p.pcn_id,
               (p.enrolled_at + (coalesce(p.discharged_at, now()) - p.enrolled_at) * sqrt(random()))::date,
               {_pick(ContactChannel.values)}, {_pick(["patient", "patient", "carer", "family", "professional"])},
               5 + floor(power(random(), 2) * 85)::int,
               {_pick(["reached", "reached", "reached", "no_answer", "left_message", "completed"])},
               {_pick(ContactCategory.values)}, '', p.by_id, now()
        FROM _care_pat p CROSS JOIN generate_series(1, {int(per)})
    """)
    report.counts["contacts"] = cur.rowcount


def _referrals(cur, per, types, report):
    """Referrals at every step, dates drawn around each type's expected days (some overdue)."""
    cur.execute("DROP TABLE IF EXISTS _care_types")
    cur.execute("CREATE TEMP TABLE _care_types (i int PRIMARY KEY, id bigint, a int, b int, s int, r int, c int) "
                "ON COMMIT DROP")
    cur.executemany("INSERT INTO _care_types VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    [(i, *t) for i, t in enumerate(types)])
    n = len(types)
    # g*: the days each step took (0.2 to 1.8 times what is expected); target: how far it
    # would get; reached: how far it has got by today; ended: rejected or cancelled.
    cur.execute(f"""
        WITH drawn AS (
            SELECT p.patient_id, p.pcn_id, p.by_id, t.id AS type_id, t.s AS seen_days, t.a, t.b, t.r, t.c,
                   greatest(p.enrolled_at::date, current_date - floor(random() * 720)::int) AS sent,
                   floor(t.a * (0.2 + random() * 1.8))::int AS g1, floor(t.b * (0.2 + random() * 1.8))::int AS g2,
                   floor(3 + random() * 60)::int AS g3, floor(t.r * (0.2 + random() * 1.8))::int AS g4,
                   floor(t.c * (0.2 + random() * 1.8))::int AS g5,
                   (ARRAY[0, 1, 2, 3, 4, 5, 5, 5, 5, 5])[1 + floor(random() * 10)::int] AS target,
                   random() AS e, random() < 0.3 AS records
            FROM (SELECT p.*, floor(random() * {n})::int AS ti FROM _care_pat p
                  CROSS JOIN generate_series(1, {int(per)})) p
            JOIN _care_types t ON t.i = p.ti
        ), dated AS (
            SELECT *, sent + g1 AS d1, sent + g1 + g2 AS d2, sent + g1 + g2 + g3 AS d3,
                   sent + g1 + g2 + g3 + g4 AS d4, sent + g1 + g2 + g3 + g4 + g5 AS d5 FROM drawn
        ), reached AS (
            SELECT *, least(target, (d1 <= current_date)::int + (d2 <= current_date)::int
                        + (d3 <= current_date)::int + (d4 <= current_date)::int + (d5 <= current_date)::int) AS k
            FROM dated
        ), due AS (
            -- When the step it stopped at was due (none once closed).
            SELECT *, CASE WHEN k = 0 THEN sent + a WHEN k = 1 THEN d1 + b WHEN k = 2 THEN d3 + seen_days
                           WHEN k = 3 THEN d3 + r WHEN k = 4 THEN d4 + c END AS step_due
            FROM reached
        ), stepped AS (
            -- A team does not keep a referral open for months past its step's due date: it
            -- chases it, then cancels it (STALE_AFTER_DAYS). Without that, a third of two
            -- years' referrals would be open and overdue: tens of thousands of chases a PCN.
            SELECT *, CASE WHEN e < 0.05 AND k = 0 THEN 'rejected' WHEN e < 0.10 AND k < 5 THEN 'cancelled'
                           WHEN k < 5 AND step_due < current_date - {STALE_AFTER_DAYS} THEN 'stale'
                           ELSE (ARRAY['requested', 'accepted', 'booked', 'seen', 'report_received', 'closed'])[k + 1]
                      END AS step
            FROM due
        )
        INSERT INTO care_referral (patient_id, pcn_id, type_id, service, reason, priority, records_sent, step,
                                   status_reason, sent_on, accepted_on, booked_on, appointment_on, seen_on, report_on,
                                   closed_on, ended_on, step_due_on, referred_by_id, created_at, updated_at)
        SELECT patient_id, pcn_id, type_id, 'Service ' || type_id, 'Referred for assessment and support',
               CASE WHEN random() < 0.1 THEN 'urgent' ELSE 'routine' END, records,
               CASE step WHEN 'stale' THEN 'cancelled' ELSE step END,
               CASE step WHEN 'rejected' THEN 'Does not meet the criteria' WHEN 'cancelled' THEN 'Patient declined'
                         WHEN 'stale' THEN 'No response after chasing' ELSE '' END,
               sent,
               CASE WHEN k >= 1 THEN d1 END, CASE WHEN k >= 2 THEN d1 + g2 END,
               CASE WHEN k >= 2 THEN d2 + g3 END, CASE WHEN k >= 3 THEN d3 END, CASE WHEN k >= 4 THEN d4 END,
               CASE WHEN k >= 5 THEN d5 END,
               CASE WHEN step IN ('rejected', 'cancelled')
                    THEN least(current_date, (ARRAY[sent, d1, d2, d3, d4])[k + 1] + 2)
                    WHEN step = 'stale' THEN step_due + {STALE_AFTER_DAYS} END,
               CASE WHEN step IN ('rejected', 'cancelled', 'stale', 'closed') THEN NULL ELSE step_due END,
               by_id, now(), now()
        FROM stepped
    """)
    report.counts["referrals"] = cur.rowcount


def _tasks(cur, per, report):
    """Per patient: a follow-up in the past (mostly done by its due date), a call around today
    (open while enrolled), a plan review ahead; up to `per` of them."""
    cur.execute(f"""
        INSERT INTO care_task (patient_id, pcn_id, title, kind, due_on, assigned_to_id, rule_key, created_at,
                               created_by_id, done_at, done_by_id)
        SELECT p.patient_id, p.pcn_id, t.title, t.kind, t.due, CASE WHEN random() < 0.8 THEN p.by_id END, '',
               now(), p.by_id, t.done, CASE WHEN t.done IS NOT NULL THEN p.by_id END
        FROM _care_pat p
        -- Each VALUES row refers to p, so that its random() is drawn per patient, not once.
        CROSS JOIN LATERAL (VALUES
            (1, 'Follow-up after the last visit', 'follow_up', (now() - random() * 300 * interval '1 day'
                                                               - p.i * interval '0 day')::date),
            (2, 'Check-in call', 'call', current_date + floor(random() * 40 - 25 + 0 * p.i)::int),
            (3, 'Review the care plan', 'plan_review', current_date + floor(random() * 120 - 10 + 0 * p.i)::int)
        ) AS t0 (n, title, kind, due)
        CROSS JOIN LATERAL (
            SELECT t0.title, t0.kind, t0.due,
                   CASE WHEN t0.kind = 'follow_up' AND random() < 0.85
                        THEN least(now(), t0.due::timestamptz + (random() * 4 - 2.5) * interval '1 day')
                        WHEN p.discharged_at IS NOT NULL THEN p.discharged_at END AS done
        ) t
        WHERE t0.n <= {int(per)}
    """)
    report.counts["tasks"] = cur.rowcount


def _stays(cur, count, report):
    """Stays of enrolled patients: a few in hospital now, some just home, the rest closed."""
    cur.execute(f"""
        INSERT INTO care_hospitalstay (patient_id, pcn_id, hospital, admitted_on, reason, discharged_on,
                                       summary_received, summary_received_on, discharge_note, closed_at, close_reason,
                                       recorded_by_id, recorded_at, discharged_by_id, closed_by_id)
        SELECT patient_id, pcn_id, hospital, admitted_on, reason, discharged_on,
               discharged_on IS NOT NULL AND r2 < 0.7, CASE WHEN discharged_on IS NOT NULL AND r2 < 0.7
                                                       THEN discharged_on + 1 END,
               '', CASE WHEN state = 'closed' THEN (discharged_on + 14)::timestamptz END,
               CASE WHEN state = 'closed' THEN 'Settled at home' ELSE '' END,
               by_id, admitted_on::timestamptz, CASE WHEN discharged_on IS NOT NULL THEN by_id END,
               CASE WHEN state = 'closed' THEN by_id END
        FROM (
            SELECT p.patient_id, p.pcn_id, p.by_id, {_pick(HOSPITALS)} AS hospital, {_pick(REASONS)} AS reason,
                   s.state, s.admitted_on, random() AS r2,
                   CASE WHEN s.state = 'in' THEN NULL
                        ELSE least(current_date, s.admitted_on + 1 + floor(random() * 20)::int) END AS discharged_on
            FROM (SELECT * FROM _care_pat WHERE discharged_at IS NULL ORDER BY i LIMIT {int(count)}) p
            CROSS JOIN LATERAL (
                SELECT CASE WHEN p.i % 100 < 8 THEN 'in' WHEN p.i % 100 < 20 THEN 'home' ELSE 'closed' END AS state,
                       CASE WHEN p.i % 100 < 8 THEN current_date - floor(random() * 20)::int
                            WHEN p.i % 100 < 20 THEN current_date - 2 - floor(random() * 10)::int
                            ELSE current_date - 40 - floor(random() * 600)::int END AS admitted_on
            ) s
        ) x
    """)
    report.counts["hospital stays"] = cur.rowcount
