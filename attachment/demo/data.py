"""Synthetic data at any size: realistic, valid, and fast enough for provincial scale.

The big tables (registrations, their members, panel patients, panel entries, status
history) are generated inside PostgreSQL with INSERT ... SELECT over generate_series,
so 5 million rows cost one statement, not 5 million round trips. Small tables
(clinics, providers, users) use bulk_create. Everything is deterministic for a seed.
"""

import random
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from attachment.core import roles
from patients.priority import FACTORS
from providers.models import (
    CapacityDeclaration,
    Clinic,
    ClinicMembership,
    Delegation,
    Provider,
    ProviderClinic,
)
from registries.models import Community
from registries.vocab import NEEDS

DEMO_PASSWORD = "attach-demo-2026"

# Rough relative populations, so the waitlist and clinics concentrate where people live.
COMMUNITY_WEIGHTS = {
    "Vancouver": 60, "Surrey": 55, "Burnaby": 22, "Richmond": 19, "Abbotsford": 14, "Coquitlam": 14,
    "Kelowna": 14, "Langley": 13, "Victoria": 9, "Langford": 5, "Nanaimo": 10, "Kamloops": 9,
    "Chilliwack": 9, "Prince George": 7, "Maple Ridge": 8, "New Westminster": 7, "North Vancouver": 9,
    "Vernon": 4, "Penticton": 3, "Campbell River": 3, "Courtenay": 3, "Mission": 4, "Port Coquitlam": 6,
    "Port Moody": 3, "West Vancouver": 4, "White Rock": 2, "South Surrey": 5, "North Delta": 5,
}

FIRST_NAMES = [
    "Olivia", "Liam", "Emma", "Noah", "Amelia", "Lucas", "Charlotte", "Ethan", "Ava", "Benjamin", "Harper",
    "Jack", "Sophia", "Oliver", "Chloe", "Leo", "Mia", "James", "Isla", "William", "Gurpreet", "Harjit",
    "Manpreet", "Simran", "Arjun", "Priya", "Wei", "Mei", "Jun", "Xin", "Ming", "Hui", "Maria", "Jose",
    "Angelica", "Mark", "Joy", "Reza", "Sara", "Ali", "Fatemeh", "Min-jun", "Ji-woo", "Anh", "Linh",
    "Dmitri", "Anastasia", "Ahmed", "Layla", "Carlos", "Sofia", "Kiona", "Tanis", "Raven", "Cedar",
]
LAST_NAMES = [
    "Smith", "Brown", "Tremblay", "Martin", "Roy", "Wilson", "MacDonald", "Taylor", "Campbell", "Anderson",
    "Thompson", "Johnson", "White", "Clark", "Lee", "Wong", "Chan", "Li", "Wang", "Zhang", "Chen", "Liu",
    "Singh", "Gill", "Sandhu", "Dhillon", "Grewal", "Sidhu", "Kaur", "Santos", "Reyes", "Cruz", "Garcia",
    "Mohammadi", "Hosseini", "Kim", "Park", "Nguyen", "Tran", "Ivanov", "Khan", "Rodriguez", "Joe",
    "Jack", "George", "Paul", "Williams", "Morris", "Patel", "Sharma", "Fraser", "Nelson",
]
# (language, share of households that speak it besides or instead of English)
LANGUAGE_MIX = [("pa", 6), ("yue", 4), ("cmn", 5), ("tl", 3), ("fa", 2), ("ko", 2), ("hi", 2), ("es", 2),
                ("vi", 1), ("ar", 1), ("fr", 2), ("ru", 1), ("de", 1)]
# Chance that a household reports each priority factor.
FACTOR_RATES = {"pregnancy": 0.04, "infant": 0.05, "hospital_discharge": 0.06, "chronic_condition": 0.30,
                "mental_health": 0.15, "substance_use": 0.04, "complex_care": 0.08, "age_65_plus": 0.18,
                "palliative": 0.01}
REF_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"


@dataclass
class SeedReport:
    counts: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)

    def lines(self):
        total = sum(self.seconds.values())
        yield "Seeded: " + ", ".join(f"{k} {v:,}" for k, v in self.counts.items())
        yield "Seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in self.seconds.items()) + f" (total {total:.1f})"


class _Timer:
    def __init__(self, report, name):
        self.report, self.name = report, name

    def __enter__(self):
        self.start = time.perf_counter()

    def __exit__(self, *exc):
        self.report.seconds[self.name] = time.perf_counter() - self.start


def seed(*, registrations: int, providers: int, panel_entries: int, seed: int = 2026, out=None) -> SeedReport:
    """Build a demo province: `registrations` households waiting, `providers` providers
    (with clinics, capacity, panels), `panel_entries` patients on panels, demo users."""
    rng = random.Random(seed)
    report = SeedReport()
    communities = list(Community.objects.select_related("division").order_by("id"))
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
            _fast_bulk_mode(cur)
            with _Timer(report, "providers"):
                provider_ids = _providers_and_clinics(rng, communities, providers, report)
            big = registrations + panel_entries >= 100_000
            tables = ("patients_registration", "patients_patient", "patients_registrationstatuschange",
                      "registries_panelentry")
            with _indexes_rebuilt_after(cur, *tables, report=report) if big else nullcontext():
                demo_waiting = _demo_division_share(communities, registrations)
                with _Timer(report, "waitlist"):
                    _waitlist(cur, communities, registrations - demo_waiting, report)
                with _Timer(report, "demo division history"):
                    _demo_division_history(cur, communities, registrations, demo_waiting, report)
                with _Timer(report, "panels"):
                    _panels(cur, provider_ids, panel_entries, report)
            with _Timer(report, "users"):
                _demo_users(report)
            with _Timer(report, "demo offers"):
                _demo_division_offers(cur, report)
            with _Timer(report, "analyze"):
                cur.execute("ANALYZE")
    return report


def _fast_bulk_mode(cur):
    # Generated rows reference only rows generated in the same transaction, so the
    # per-row foreign-key triggers prove nothing here; skipping them (superuser only)
    # is what makes 5 million panel entries take seconds. CHECK and UNIQUE still apply.
    cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if cur.fetchone()[0]:
        cur.execute("SET LOCAL session_replication_role = replica")
    cur.execute("SET LOCAL synchronous_commit = off")
    cur.execute("SET LOCAL work_mem = '256MB'")


@contextmanager
def _indexes_rebuilt_after(cur, *tables, report):
    """Drop the tables' secondary indexes and unique constraints, and rebuild them after
    the block: one sort per index is far cheaper than maintaining it row by row during a
    multi-million-row insert. Rebuilding a UNIQUE constraint re-checks the whole table."""
    cur.execute(
        """SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
           FROM pg_constraint c WHERE c.contype = 'u' AND c.conrelid::regclass::text = ANY(%s)""",
        [list(tables)],
    )
    constraints = cur.fetchall()
    cur.execute(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
           FROM pg_index i WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
        [list(tables)],
    )
    indexes = cur.fetchall()
    for table, name, _ in constraints:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cur.execute(f"DROP INDEX {name}")
    yield
    with _Timer(report, "indexes"):
        cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for table, name, definition in constraints:
            cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for _, definition in indexes:
            cur.execute(definition)


def _weighted_communities(communities):
    return [(c, COMMUNITY_WEIGHTS.get(c.name, 1)) for c in communities]


def _providers_and_clinics(rng, communities, count, report) -> list[int]:
    weighted = _weighted_communities(communities)
    names = [c for c, _ in weighted]
    weights = [w for _, w in weighted]
    by_division = {}
    for c in communities:
        by_division.setdefault(c.division_id, []).append(c)
    base_number = (Provider.objects.count() or 0) + 10000

    clinics = []
    for i in range(max(1, count // 5)):
        c = rng.choices(names, weights)[0]
        clinics.append(Clinic(
            name=f"{c.name} {rng.choice(['Family Practice', 'Medical Clinic', 'Health Centre', 'Primary Care Clinic', 'Community Health Centre'])} {i + 1}",
            community=c, address=f"{rng.randint(10, 9999)} {rng.choice(['Main', 'Oak', 'Victoria', 'King George', 'Fraser', 'Douglas', 'Columbia'])} Street",
            phone=f"{rng.choice(['250', '604', '778', '236'])}-555-{rng.randint(0, 9999):04d}",
            fax=f"{rng.choice(['250', '604'])}-555-{rng.randint(0, 9999):04d}",
            email=f"clinic{i + 1}@example.org",
            hours={d: "08:30-17:00" for d in ["mon", "tue", "wed", "thu", "fri"]} | {"sat": rng.choice(["", "09:00-13:00"]), "sun": ""},
            languages=["en"] + rng.sample(["pa", "yue", "cmn", "tl", "fa", "ko", "hi", "es", "fr"], rng.randint(0, 2)),
            accessibility_notes=rng.choice(["Wheelchair accessible, ground floor.", "Elevator access; accessible washroom.", ""]),
        ))
    Clinic.objects.bulk_create(clinics, batch_size=2000)

    providers, links, served, declarations = [], [], [], []
    needs = [n for n, _ in NEEDS]
    for i in range(count):
        clinic = rng.choice(clinics)
        langs = ["en"] + ([rng.choices([code for code, _ in LANGUAGE_MIX], [w for _, w in LANGUAGE_MIX])[0]] if rng.random() < 0.35 else [])
        providers.append(Provider(
            kind=Provider.Kind.FP if rng.random() < 0.82 else Provider.Kind.NP,
            practitioner_number=f"{base_number + i}",
            first_name=rng.choice(FIRST_NAMES), last_name=rng.choice(LAST_NAMES),
            gender=rng.choices(["F", "M", "X"], [52, 46, 2])[0], languages=langs,
            declines_needs=rng.sample(needs, rng.choice([0, 0, 0, 1, 1, 2])),
        ))
        links.append(clinic)
    Provider.objects.bulk_create(providers, batch_size=2000)
    now = timezone.now()
    for provider, clinic in zip(providers, links):
        served.append((provider.pk, clinic.community_id))
        if rng.random() < 0.2:
            neighbour = rng.choice(by_division[clinic.community.division_id])
            if neighbour.pk != clinic.community_id:
                served.append((provider.pk, neighbour.pk))
        accepting = rng.random() < 0.35
        places = rng.randint(1, 40) if accepting else 0
        provider.accepting, provider.open_capacity = accepting, places
        declarations.append(CapacityDeclaration(
            provider=provider, accepting=accepting, new_patients=places, monthly_intake=rng.randint(0, 20) if accepting else 0,
            desired_panel_size=rng.choice([1000, 1250, 1500, 1800]), note="",
        ))
    ProviderClinic.objects.bulk_create([ProviderClinic(provider=p, clinic=c) for p, c in zip(providers, links)], batch_size=5000)
    Through = Provider.communities.through
    Through.objects.bulk_create([Through(provider_id=p, community_id=c) for p, c in served], batch_size=5000)
    CapacityDeclaration.objects.bulk_create(declarations, batch_size=5000)
    CapacityDeclaration.objects.filter(provider__in=providers).update(declared_at=now)
    Provider.objects.bulk_update(providers, ["accepting", "open_capacity"], batch_size=2000)
    report.counts.update(clinics=len(clinics), providers=len(providers))
    return [p.pk for p in providers]


def _sql_pick(array_values, expr="random()"):
    """SQL that picks one element of a literal text array."""
    quoted = ",".join("'" + v.replace("'", "''") + "'" for v in array_values)
    return f"(ARRAY[{quoted}])[1 + floor({expr} * {len(array_values)})::int]"


def _phn_sql(serial_expr: str) -> tuple[str, str]:
    """(PHN expression, validity condition) for an 8-digit serial, computed in SQL.

    Same rule as registries.phn, on integers: the candidate number is 9, the serial,
    and the check digit; serials whose remainder is 0 or 1 have no PHN and are skipped.
    """
    n = f"(({serial_expr})::bigint)"
    total = " + ".join(f"({n} / {10 ** (7 - i)} % 10) * {w}" for i, w in enumerate([2, 4, 8, 5, 10, 9, 7, 3]))
    rem = f"(({total}) % 11)"
    return f"'9' || lpad({n}::text, 8, '0') || (11 - {rem})::text", f"{rem} >= 2"


def _waitlist(cur, communities, count, report, *, history=None, days=1500, skew=1.6, steady=False):
    """`count` households waiting, plus `history` attached and withdrawn ones for reports
    (a quarter of `count` by default), registered over the last `days` days: uniformly
    with skew 1, more of them recent with a larger skew.

    By default a past household left the list at a random moment between registering
    and today, so leaving bunches up towards today. `steady` spreads the leaving evenly
    over the `days` instead (each stayed a while, a few weeks to a year, before), so
    registrations, attachments and the waitlist move at a steady pace over time."""
    history = int(count * 0.25) if history is None else history
    if count + history <= 0:
        return
    cur.execute("DROP TABLE IF EXISTS _seed_comm")
    cur.execute("CREATE TEMP TABLE _seed_comm (id bigint, division_id bigint, lo float8, hi float8) ON COMMIT DROP")
    weighted = _weighted_communities(communities)
    total = float(sum(w for _, w in weighted))
    acc, rows = 0.0, []
    for c, w in weighted:
        rows.append((c.pk, c.division_id, acc / total, (acc + w) / total))
        acc += w
    cur.executemany("INSERT INTO _seed_comm VALUES (%s, %s, %s, %s)", rows)

    factor_weights = {code: weight for code, _, weight, _ in FACTORS}
    factor_needs = {code: need for code, _, _, need in FACTORS if need}
    randoms = ", ".join(f"random() < {rate} AS f_{code}" for code, rate in FACTOR_RATES.items())
    factors_arr = "array_remove(ARRAY[" + ", ".join(f"CASE WHEN f_{c} THEN '{c}' END" for c in FACTOR_RATES) + "], NULL)"
    needs_arr = "array_remove(ARRAY[" + ", ".join(
        f"CASE WHEN f_{c} THEN '{factor_needs[c]}' END" for c in FACTOR_RATES if c in factor_needs) + "], NULL)"
    priority = " + ".join(f"(CASE WHEN f_{c} THEN {factor_weights[c]} ELSE 0 END)" for c in FACTOR_RATES)
    lang_pick = _sql_pick([code for code, w in LANGUAGE_MIX for _ in range(w)], "lr2")
    start = cur.execute("SELECT coalesce(max(id), 0) FROM patients_registration").fetchone()[0]
    n_total = count + history
    wait_days = f"floor(power(random(), {skew}) * {days})::int"
    registered_days, left_days, steady_columns = "wait_days", "(wait_days * st)", ""
    if steady:
        # A past household left `gone` days ago after staying `stay` days (median about 90).
        steady_columns = f", floor(random() * {days})::int AS gone, floor(power(random(), 2) * 365)::int AS stay"
        registered_days = f"(CASE WHEN s <= {count} THEN wait_days ELSE gone + stay END)"
        left_days = f"(CASE WHEN s <= {count} THEN wait_days ELSE gone END)"
    # reference codes: a bijection of the row number in base 25 (unique without retries)
    ref = "".join(
        f"substr('{REF_ALPHABET}', 1 + ((((s + {start}) * 1103515243::bigint + 12345) % 152587890625) / {25 ** i} % 25)::int, 1)"
        + (" || " if i < 7 else "")
        for i in range(8)
    )
    cur.execute(f"""
        INSERT INTO patients_registration
            (id, reference_code, status, source, community_id, division_id, address, postal_code, phone, email,
             languages, preferred_provider_gender, priority_factors, needs, priority, household_size,
             consent_at, registered_at, status_changed_at, priority_override_reason)
        SELECT s + {start}, {ref},
               CASE WHEN s <= {count} THEN 'waiting' WHEN st < 0.8 THEN 'attached' ELSE 'withdrawn' END,
               CASE WHEN src < 0.8 THEN 'self' ELSE 'staff' END,
               c.id, c.division_id,
               (100 + floor(src * 9000))::int || ' ' || {_sql_pick(['Main St', 'Oak Ave', '1st Ave', 'Cedar Rd', 'Hillside Dr', 'Lakeview Cres'], 'st')},
               '', '250-555-' || lpad((s % 10000)::text, 4, '0'),
               CASE WHEN em < 0.75 THEN 'household' || (s + {start}) || '@example.org' ELSE '' END,
               CASE WHEN lr < 0.3 THEN ARRAY[{lang_pick}]::varchar[] WHEN lr < 0.45 THEN ARRAY['en', {lang_pick}]::varchar[] ELSE ARRAY['en']::varchar[] END,
               CASE WHEN gp < 0.15 THEN 'F' WHEN gp < 0.2 THEN 'M' ELSE '' END,
               {factors_arr}, {needs_arr}, {priority},
               CASE WHEN hs < 0.6 THEN 1 WHEN hs < 0.85 THEN 2 WHEN hs < 0.93 THEN 3 WHEN hs < 0.98 THEN 4 ELSE 5 END,
               now() - {registered_days} * interval '1 day', now() - {registered_days} * interval '1 day',
               now() - {left_days} * interval '1 day', ''
        FROM (
            SELECT s, random() AS cr, random() AS st, random() AS src, random() AS em, random() AS lr, random() AS lr2,
                   random() AS gp, random() AS hs, {wait_days} AS wait_days, {randoms}{steady_columns}
            FROM generate_series(1, {n_total}) s
        ) r0
        JOIN _seed_comm c ON r0.cr >= c.lo AND r0.cr < c.hi
    """)
    report.counts["registrations"] = report.counts.get("registrations", 0) + cur.rowcount
    cur.execute("SELECT setval(pg_get_serial_sequence('patients_registration', 'id'), (SELECT max(id) FROM patients_registration))")

    # Members: household_size people per registration, each with a valid, unique PHN.
    serial_base = 10_000_000 + start * 8
    phn, valid = _phn_sql("cand")
    cur.execute(f"""
        WITH slots AS (
            SELECT r.id AS registration_id, k, r.registered_at, row_number() OVER (ORDER BY r.id, k) AS n
            FROM patients_registration r CROSS JOIN LATERAL generate_series(1, r.household_size) k
            WHERE r.id > {start}
        ),
        phns AS (
            SELECT {phn} AS phn, row_number() OVER (ORDER BY cand) AS n
            FROM generate_series({serial_base}, {serial_base} + (SELECT count(*) * 2 FROM slots)) cand
            WHERE {valid}
        )
        INSERT INTO patients_patient (phn, first_name, last_name, date_of_birth, gender, postal_code,
                                      registration_id, is_primary_contact, created_at)
        SELECT p.phn, {_sql_pick(FIRST_NAMES)}, {_sql_pick(LAST_NAMES)},
               CASE WHEN k = 1 THEN current_date - (18 * 365 + floor(random() * 60 * 365))::int
                    ELSE current_date - floor(random() * 70 * 365)::int END,
               {_sql_pick(['F', 'M', 'F', 'M', 'X'])}, '', s.registration_id, k = 1, s.registered_at
        FROM slots s JOIN phns p USING (n)
    """)
    report.counts["waitlist people"] = report.counts.get("waitlist people", 0) + cur.rowcount

    # Status history: every registration entered the waitlist; the past ones then left it.
    cur.execute(f"""
        INSERT INTO patients_registrationstatuschange (registration_id, from_status, to_status, at, reason)
        SELECT id, '', 'waiting', registered_at, 'Registered' FROM patients_registration WHERE id > {start}
        UNION ALL
        SELECT id, 'waiting', status, status_changed_at,
               CASE WHEN status = 'attached' THEN 'Attached to a provider' ELSE 'Found a provider elsewhere' END
        FROM patients_registration WHERE id > {start} AND status IN ('attached', 'withdrawn')
    """)


DEMO_COMMUNITY = "Kamloops"  # the demo logins' community; its division is the demo division
DEMO_HISTORY_DAYS = 730  # two years: a year of reports, and the year before it that they start from


def _demo_communities(communities):
    demo = next((c for c in communities if c.name == DEMO_COMMUNITY), None)
    return [c for c in communities if demo and c.division_id == demo.division_id]


def _demo_division_share(communities, registrations):
    """Households of the waiting count that wait in the demo division (the rest spread over all)."""
    return min(registrations // 4, 1000) if _demo_communities(communities) else 0


def _demo_division_history(cur, communities, registrations, waiting, report):
    """Two years of the demo division's past, big enough for every report to show a shape:
    `waiting` of the households waiting, and twice the waiting count (up to 10,000) of
    households that registered, waited and left (most of them attached), spread evenly
    over DEMO_HISTORY_DAYS. The same generator as the province's waitlist, on the
    division's communities, leaving at a steady pace."""
    demo = _demo_communities(communities)
    if demo:
        _waitlist(cur, demo, waiting, report, history=min(2 * registrations, 10_000),
                  days=DEMO_HISTORY_DAYS, steady=True)


# Decline reasons as clinics and households give them; a few often enough (10 or more)
# for the offers report to print them.
CLINIC_DECLINES = ["Panel full for now", "Outside our catchment area", "Needs care we cannot provide",
                   "Provider on leave"]
PATIENT_DECLINES = ["Too far to travel", "Found a provider elsewhere", "Prefers a different provider",
                    "Clinic hours do not suit"]


def _demo_division_offers(cur, report):
    """Offers with outcomes for the demo division's past, set-based: each household
    attached in the last two years got the offer it accepted, some of them a declined,
    expired or withdrawn one before it, and some households still waiting one that did
    not work out. All are closed and their proposals older than every declaration, so
    they hold no places (attachment/capacity_refresh.py). Declined pairs are recorded
    so that matching does not propose them again."""
    from attachment.workflow.models import MatchRun

    kamloops = Community.objects.filter(name=DEMO_COMMUNITY).first()
    if kamloops is None:
        return
    cur.execute("DROP TABLE IF EXISTS _seed_offer_prov")
    cur.execute("""
        CREATE TEMP TABLE _seed_offer_prov ON COMMIT DROP AS
        SELECT (row_number() OVER (ORDER BY provider_id) - 1)::int AS i, provider_id, clinic_id FROM (
            SELECT DISTINCT ON (pc.provider_id) pc.provider_id, pc.clinic_id
              FROM providers_providerclinic pc JOIN providers_clinic cl ON cl.id = pc.clinic_id
              JOIN registries_community c ON c.id = cl.community_id
             WHERE c.division_id = %s ORDER BY pc.provider_id, pc.id) p
    """, [kamloops.division_id])
    providers = cur.execute("SELECT count(*) FROM _seed_offer_prov").fetchone()[0]
    if not providers:
        return
    run = MatchRun.objects.create(status=MatchRun.Status.SUCCEEDED, phase="Demo history",
                                  parameters={"division": kamloops.division_id, "community": None})
    cur.execute("UPDATE attachment_matchrun SET started_at = now() - %s * interval '1 day', finished_at = now() "
                "- %s * interval '1 day' WHERE id = %s", [DEMO_HISTORY_DAYS, DEMO_HISTORY_DAYS, run.pk])
    clinic_reason = _sql_pick(CLINIC_DECLINES, "rr")
    patient_reason = _sql_pick(PATIENT_DECLINES, "rr")
    # Each planned offer: who, to whom, how it ended and when (sent, clinic answer, patient answer).
    cur.execute(f"""
        CREATE TEMP TABLE _seed_offer ON COMMIT DROP AS
        WITH attached AS (
            SELECT r.id, r.household_size, r.registered_at, r.status_changed_at AS done,
                   GREATEST(r.registered_at, r.status_changed_at - (2 + floor(random() * 20)) * interval '1 day') AS sent
              FROM patients_registration r
             WHERE r.division_id = %(division)s AND r.status = 'attached'
               AND r.status_changed_at > now() - %(days)s * interval '1 day'
        ),
        plan AS (
            SELECT id, household_size, 'attached' AS status, sent, random() AS rp, random() AS rr,
                   LEAST(done, sent + interval '1 day') AS clinic_at, done AS patient_at
              FROM attached
            UNION ALL
            -- an earlier offer that did not work out, between registering and the one accepted
            SELECT id, household_size, outcome, sent, random(), random(),
                   sent + interval '2 days', sent + interval '4 days'
              FROM (SELECT id, household_size, random() AS ro,
                           registered_at + (sent - registered_at) * random() * 0.5 AS sent
                      FROM attached WHERE sent - registered_at > interval '14 days' AND random() < 0.5) e,
                   LATERAL (SELECT CASE WHEN ro < 0.4 THEN 'clinic_declined' WHEN ro < 0.7 THEN 'patient_declined'
                                        WHEN ro < 0.9 THEN 'expired' ELSE 'withdrawn' END AS outcome) o
            UNION ALL
            -- households still waiting after an offer that did not work out
            SELECT r.id, r.household_size, o.outcome, o.sent, random(), random(),
                   o.sent + interval '2 days', o.sent + interval '4 days'
              FROM patients_registration r,
                   LATERAL (SELECT random() AS ro, r.registered_at + (now() - interval '20 days' - r.registered_at)
                                   * random() AS sent) x,
                   LATERAL (SELECT x.sent, CASE WHEN x.ro < 0.45 THEN 'clinic_declined' WHEN x.ro < 0.75
                                   THEN 'patient_declined' ELSE 'expired' END AS outcome) o
             WHERE r.division_id = %(division)s AND r.status = 'waiting'
               AND r.registered_at < now() - interval '30 days' AND random() < 0.4
        )
        SELECT nextval(pg_get_serial_sequence('attachment_proposal', 'id')) AS proposal_id,
               p.id AS registration_id, sp.provider_id, sp.clinic_id, p.household_size AS places, p.status, p.sent,
               CASE WHEN p.status IN ('attached', 'clinic_declined', 'patient_declined') THEN p.clinic_at END AS clinic_at,
               CASE WHEN p.status IN ('attached', 'patient_declined') THEN p.patient_at END AS patient_at,
               CASE p.status WHEN 'clinic_declined' THEN {clinic_reason}
                             WHEN 'patient_declined' THEN {patient_reason} ELSE '' END AS reason,
               CASE p.status WHEN 'attached' THEN p.patient_at WHEN 'expired' THEN p.sent + interval '14 days'
                             ELSE p.sent + interval '4 days' END AS closed_at
          FROM plan p JOIN _seed_offer_prov sp ON sp.i = floor(p.rp * {providers})::int
    """, {"division": kamloops.division_id, "days": DEMO_HISTORY_DAYS})
    cur.execute("""
        INSERT INTO attachment_proposal (id, match_run_id, registration_id, provider_id, places, reasons, status,
                                         skip_reason, created_at, decided_at)
        SELECT proposal_id, %s, registration_id, provider_id, places, '[]'::jsonb, 'offered', '', sent, sent
          FROM _seed_offer
    """, [run.pk])
    cur.execute("""
        INSERT INTO attachment_offer (proposal_id, registration_id, provider_id, clinic_id, places, status,
                                      decline_reason, sent_at, clinic_answered_at, patient_notified_at,
                                      patient_answered_at, expires_at, closed_at)
        SELECT proposal_id, registration_id, provider_id, clinic_id, places, status, reason, sent, clinic_at,
               clinic_at, patient_at, sent + interval '14 days', closed_at
          FROM _seed_offer
    """)
    report.counts["demo offers"] = cur.rowcount
    cur.execute("""
        INSERT INTO attachment_declinedpair (registration_id, provider_id, by, reason, at)
        SELECT registration_id, provider_id, CASE status WHEN 'clinic_declined' THEN 'clinic' ELSE 'patient' END,
               reason, COALESCE(patient_at, clinic_at)
          FROM _seed_offer WHERE status IN ('clinic_declined', 'patient_declined')
        ON CONFLICT DO NOTHING
    """)


def _panels(cur, provider_ids, count, report):
    """`count` patients on providers' panels (panel sizes skewed, like real practices)."""
    if count <= 0 or not provider_ids:
        return
    cur.execute("DROP TABLE IF EXISTS _seed_prov")
    cur.execute("CREATE TEMP TABLE _seed_prov (i int PRIMARY KEY, id bigint) ON COMMIT DROP")
    with cur.copy("COPY _seed_prov (i, id) FROM STDIN") as copy:
        for i, pk in enumerate(provider_ids):
            copy.write_row((i, pk))
    serial_base = 40_000_000 + cur.execute("SELECT count(*) FROM patients_patient").fetchone()[0] * 2
    phn, valid = _phn_sql("cand")
    n = len(provider_ids)
    cur.execute(f"""
        INSERT INTO patients_patient (phn, first_name, last_name, date_of_birth, gender, postal_code,
                                      is_primary_contact, created_at)
        SELECT {phn}, {_sql_pick(FIRST_NAMES)}, {_sql_pick(LAST_NAMES)},
               current_date - floor(random() * 90 * 365)::int, {_sql_pick(['F', 'M', 'F', 'M', 'X'])}, '', false, now()
        FROM generate_series({serial_base}, {serial_base} + {int(count * 11 / 9) + 20}) cand
        WHERE {valid}
        LIMIT {count}
    """)
    made = cur.rowcount
    cur.execute(f"""
        INSERT INTO registries_panelentry (patient_id, provider_id, since, source, last_visit, created_at, end_reason)
        SELECT p.id, sp.id, current_date - floor(random() * 20 * 365)::int, 'upload',
               current_date - floor(random() * 700)::int, now(), ''
        FROM (SELECT id, floor(power(random(), 1.15) * {n})::int AS i FROM patients_patient
              WHERE registration_id IS NULL ORDER BY id DESC LIMIT {made}) p
        JOIN _seed_prov sp ON sp.i = p.i
    """)
    report.counts["panel entries"] = cur.rowcount


def _demo_users(report):
    """One login per role, scoped to the Thompson Region (Kamloops) so the demo hangs together."""
    User = get_user_model()
    kamloops = Community.objects.select_related("division").get(name="Kamloops")
    division = kamloops.division

    def user(username, first, last, **extra):
        u, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "email": f"{username}@attach.example", **extra})
        if created:
            u.set_password(DEMO_PASSWORD)
            u.save()
        return u

    admin = user("admin", "Avery", "Admin", is_staff=True, is_superuser=True)
    roles.add_role(admin, roles.ADMINISTRATOR)
    coordinator = user("coordinator", "Casey", "Coordinator")
    roles.grant_division(coordinator, division, coordinator=True)
    manager = user("manager", "Morgan", "Manager")
    roles.grant_division(manager, division, manager=True)

    # The Kamloops clinic with the most providers, so the MOA has someone to act for.
    clinic = (Clinic.objects.filter(community=kamloops).annotate(n=Count("providers")).order_by("-n", "id").first()
              or Clinic.objects.create(name="Kamloops Family Practice", community=kamloops, address="100 Victoria Street"))
    moa = user("moa", "Mo", "Assistant")
    roles.add_role(moa, roles.MOA)
    ClinicMembership.objects.get_or_create(clinic=clinic, user=moa, defaults={"role": ClinicMembership.Role.MOA})
    _staff_demo_clinic(clinic, kamloops)
    clinic_providers = list(clinic.providers.order_by("id")[:3])
    for p in clinic_providers:
        Delegation.objects.get_or_create(provider=p, delegate=moa, defaults={"status": Delegation.Status.ACTIVE})
        roles.grant_provider(moa, p)
    lead = user("clinic-lead", "Lee", "Lead")
    roles.add_role(lead, roles.CLINIC_LEAD)
    ClinicMembership.objects.get_or_create(clinic=clinic, user=lead, defaults={"role": ClinicMembership.Role.LEAD})
    from guardian.shortcuts import assign_perm
    assign_perm("providers.manage_clinic", lead, clinic)
    if clinic_providers and clinic_providers[0].user_id is None:
        doctor = user("provider", clinic_providers[0].first_name, clinic_providers[0].last_name)
        roles.add_role(doctor, roles.PROVIDER)
        Provider.objects.filter(pk=clinic_providers[0].pk).update(user=doctor)
    # Care coordination for the PCN of the demo clinic (Kamloops PCN).
    care_coordinator = user("care-coordinator", "Cam", "Carer")
    roles.grant_pcn(care_coordinator, kamloops.pcn)
    # Their caseload, hospital transitions, a visit to plan and an MDT meeting (care/demo.py).
    from care import demo as care_demo

    report.counts.update(care_demo.tell_story(care_coordinator, kamloops.pcn))
    report.counts["demo users"] = 7


DEMO_PROVIDERS = [
    ("99001", Provider.Kind.FP, "Harpreet", "Sandhu", "F", ["en", "pa"], 25),
    ("99002", Provider.Kind.NP, "Claire", "Tremblay", "F", ["en", "fr"], 15),
    ("99003", Provider.Kind.FP, "Daniel", "Okafor", "M", ["en"], 0),
]


def _staff_demo_clinic(clinic, kamloops):
    """The demo MOA's clinic gets three named providers, two of them accepting new patients."""
    from providers.capacity import declare_capacity

    for number, kind, first, last, gender, languages, places in DEMO_PROVIDERS:
        provider, created = Provider.objects.get_or_create(
            practitioner_number=number,
            defaults=dict(kind=kind, first_name=first, last_name=last, gender=gender, languages=languages),
        )
        if created:
            ProviderClinic.objects.get_or_create(provider=provider, clinic=clinic)
            provider.communities.add(kamloops)
            declare_capacity(provider, accepting=places > 0, new_patients=places,
                             monthly_intake=places // 3, desired_panel_size=1250,
                             note="Demo declaration" if places else "Panel full for now")


def demo_workflow(*, offers: int = 3) -> dict:
    """Make the demo tell its story: a matching run in Kamloops, a few offers waiting in
    the demo clinic's inbox, and report snapshots for every division."""
    from attachment.matching.db import run_matching
    from attachment.workflow.models import MatchRun, Proposal
    from attachment.workflow.services import send_offer
    from reports.services import build_snapshots

    figures = {}
    coordinator = get_user_model().objects.filter(username="coordinator").first()
    kamloops = Community.objects.get(name="Kamloops")
    started = time.perf_counter()
    run = MatchRun.objects.create(started_by=coordinator, parameters={"division": None, "community": kamloops.pk})
    run = run_matching(run)
    proposals = Proposal.objects.filter(
        match_run=run, status=Proposal.Status.PROPOSED, provider__practitioner_number__in=[p[0] for p in DEMO_PROVIDERS]
    ).order_by("id")[:offers]
    for proposal in proposals:
        send_offer(proposal.pk, by=coordinator)
    figures["demo matching seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    build_snapshots()
    figures["report snapshots seconds"] = time.perf_counter() - started
    return figures


DEMO_LOGINS = [
    ("Attachment coordinator", "coordinator"),
    ("Clinic MOA", "moa"),
    ("Division manager", "manager"),
    ("Provider", "provider"),
    ("Clinic lead", "clinic-lead"),
    ("Administrator", "admin"),
    ("Care coordinator", "care-coordinator"),
]
