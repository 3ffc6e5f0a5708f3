"""Run the matching engine against the database: read, match, write proposals.

The engine (engine.py) knows nothing of Django; this module feeds it from a handful of
set-based queries and writes its answer back in one transaction:

1. Only one run at a time (a PostgreSQL advisory lock): two runs reading the same
   open capacity would both give away the last place.
2. Read (no row locks yet, so the progress page can show the phases): providers that
   accept and have open capacity in the run's area, waiting and reachable
   registrations without an open proposal or offer, and the pairs declined before.
3. Match in memory.
4. Write, in one transaction: lock the providers that receive proposals (id order),
   re-read their open capacity (a provider may have lowered it meanwhile; proposals
   that no longer fit are dropped, lowest rank first), COPY the proposals in, take
   the places with one UPDATE ... FROM unnest(...).

Engine ids: a registration's reference code (so ties in rank fall to the reference
code, as the rules say), a provider's primary key, a community's (unique) name, which
the engine also writes into the reasons coordinators read.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict

from django.db import connection, transaction
from django.utils import timezone

from attachment.matching import ProviderSlot, RegistrationItem, match
from attachment.workflow.models import MatchRun

# Any constant shared by every run; the advisory lock namespace is global to the server.
RUN_LOCK_KEY = 0x6174746163680006  # "attach" + slice number, fits a signed bigint


def _scope_sql(parameters: dict, community_column: str) -> tuple[str, list]:
    """SQL restricting `community_column` to the run's area, and its parameters."""
    community_id = parameters.get("community")
    division_id = parameters.get("division")
    if community_id:
        return f" AND {community_column} = %s", [int(community_id)]
    if division_id:
        return (
            f" AND {community_column} IN (SELECT sc.id FROM registries_community sc WHERE sc.division_id = %s)",
            [int(division_id)],
        )
    return "", []


def read_providers(cur, parameters: dict) -> list[ProviderSlot]:
    scope, params = _scope_sql(parameters, "pc.community_id")
    cur.execute(
        f"""
        SELECT p.id, p.open_capacity, p.languages, p.gender, p.declines_needs,
               array_agg(c.name ORDER BY c.name)
        FROM providers_provider p
        JOIN providers_provider_communities pc ON pc.provider_id = p.id
        JOIN registries_community c ON c.id = pc.community_id
        WHERE p.accepting AND p.open_capacity > 0 {scope}
        GROUP BY p.id
        """,
        params,
    )
    return [
        ProviderSlot(
            id=str(pid),
            communities=communities,
            capacity=capacity,
            languages=languages or (),
            gender=gender or None,
            declines_needs=declines or (),
        )
        for pid, capacity, languages, gender, declines, communities in cur.fetchall()
    ]


def read_registrations(cur, parameters: dict):
    """(items, {reference code: (registration id, household size)})."""
    scope, params = _scope_sql(parameters, "r.community_id")
    cur.execute(
        f"""
        SELECT r.id, r.reference_code, c.name, r.household_size, r.effective_priority,
               FLOOR(EXTRACT(EPOCH FROM (now() - r.registered_at)) / 86400)::int,
               array_to_string(r.languages, ','), r.preferred_provider_gender, array_to_string(r.needs, ',')
        FROM patients_registration r
        JOIN registries_community c ON c.id = r.community_id
        WHERE r.status = 'waiting' AND r.suspended_at IS NULL {scope}
          AND NOT EXISTS (SELECT 1 FROM attachment_proposal pr
                          WHERE pr.registration_id = r.id AND pr.status = 'proposed')
          AND NOT EXISTS (SELECT 1 FROM attachment_offer o
                          WHERE o.registration_id = r.id AND o.status IN ('sent', 'clinic_accepted'))
          -- held for an identity review (patients.identity): nobody is matched on it
          AND NOT EXISTS (SELECT 1 FROM patients_identityconflict ic
                          WHERE ic.registration_id = r.id AND ic.resolved_at IS NULL)
        """,
        params,
    )
    # Arrays come as comma-joined text: parsing 300,000 pairs of arrays costs seconds,
    # splitting strings a fraction of that.
    rows = cur.fetchall()
    cur.execute(
        f"""
        SELECT d.registration_id, d.provider_id FROM attachment_declinedpair d
        JOIN patients_registration r ON r.id = d.registration_id
        WHERE r.status = 'waiting' {scope}
        """,
        params,
    )
    declined = defaultdict(list)
    for rid, pid in cur.fetchall():
        declined[rid].append(str(pid))
    items = []
    keys = {}
    for rid, code, community, size, priority, waiting, languages, gender, needs in rows:
        keys[code] = (rid, size)
        items.append(
            RegistrationItem(
                id=code,
                community=community,
                size=size,
                priority=priority,
                waiting_days=max(waiting, 0),
                languages=languages.split(",") if languages else (),
                provider_gender=gender or None,
                needs=needs.split(",") if needs else (),
                declined=declined.get(rid, ()),
            )
        )
    return items, keys


def _set_phase(run: MatchRun, phase: str, **fields):
    run.phase = phase
    for name, value in fields.items():
        setattr(run, name, value)
    MatchRun.objects.filter(pk=run.pk).update(phase=phase, **fields)


def run_matching(run: MatchRun) -> MatchRun:
    """Carry out `run` (a MatchRun row): propose, take places, record figures.

    Raises on failure after marking the run failed; a failed run leaves no proposals.
    """
    timings = {}
    started = time.perf_counter()
    _set_phase(run, "Waiting for any other matching run to finish", status=MatchRun.Status.RUNNING)
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s)", [RUN_LOCK_KEY])
    try:
        timings["wait_for_lock"] = time.perf_counter() - started
        t = time.perf_counter()
        _set_phase(run, "Reading the waitlist and providers' open capacity")
        with connection.cursor() as cur:
            providers = read_providers(cur, run.parameters)
            registrations, keys = read_registrations(cur, run.parameters)
        timings["read"] = time.perf_counter() - t

        t = time.perf_counter()
        _set_phase(run, f"Matching {len(registrations):,} registrations to {len(providers):,} providers")
        result = match(providers, registrations)
        timings["match"] = time.perf_counter() - t

        t = time.perf_counter()
        _set_phase(run, f"Saving {len(result.proposals):,} proposals")
        written, dropped, people = _write(run, result.proposals, keys)
        timings["write"] = time.perf_counter() - t
    except Exception as exc:
        MatchRun.objects.filter(pk=run.pk).update(
            status=MatchRun.Status.FAILED, phase="Failed", error=f"{type(exc).__name__}: {exc}"[:4000],
            finished_at=timezone.now(),
        )
        raise
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", [RUN_LOCK_KEY])

    figures = {
        "registrations": len(registrations),
        "providers": len(providers),
        "proposed": written,
        "people": people,
        "unmatched": len(registrations) - written,
        "dropped_capacity_changed": dropped,
        "seconds": {k: round(v, 3) for k, v in timings.items()},
        "total_seconds": round(time.perf_counter() - started, 3),
    }
    _set_phase(run, "Finished", status=MatchRun.Status.SUCCEEDED, figures=figures, error="",
               finished_at=timezone.now())
    return run


@transaction.atomic
def _write(run: MatchRun, proposals, keys) -> tuple[int, int, int]:
    """Insert the proposals and take their places; returns (written, dropped, people)."""
    wanted = defaultdict(int)
    for p in proposals:
        wanted[int(p.provider)] += keys[p.registration][1]
    if not wanted:
        return 0, 0, 0
    ids = sorted(wanted)
    with connection.cursor() as cur:
        # Locked in id order, like every other multi-provider lock, so runs and the
        # capacity refresh cannot deadlock each other.
        cur.execute(
            "SELECT id, open_capacity, accepting FROM providers_provider WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
            [ids],
        )
        room = {pid: (capacity if accepting else 0) for pid, capacity, accepting in cur.fetchall()}

    # Proposals come in rank order; a provider whose capacity fell since the read keeps
    # the highest-ranked households that still fit.
    now = timezone.now()
    rows = []
    taken = defaultdict(int)
    dropped = 0
    people = 0
    for p in proposals:
        pid = int(p.provider)
        rid, size = keys[p.registration]
        if taken[pid] + size > room.get(pid, 0):
            dropped += 1
            continue
        taken[pid] += size
        people += size
        rows.append((run.pk, rid, pid, size, json.dumps(p.reasons), "proposed", "", now))
    # COPY rather than bulk_create: tens of thousands of rows at once, without building a
    # model instance per row (the table's constraints and indexes still check every row).
    with connection.cursor() as cur:
        with cur.copy(
            "COPY attachment_proposal (match_run_id, registration_id, provider_id, places, reasons, status,"
            " skip_reason, created_at) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
    if taken:
        provider_ids = list(taken)
        with connection.cursor() as cur:
            cur.execute(
                """
                UPDATE providers_provider p SET open_capacity = p.open_capacity - t.places
                FROM unnest(%s::bigint[], %s::int[]) AS t(id, places)
                WHERE p.id = t.id
                """,
                [provider_ids, [taken[i] for i in provider_ids]],
            )
    return len(rows), dropped, people
