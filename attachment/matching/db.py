"""Run the matching engine against the database: read, match, write proposals.

The engine (engine.py) knows nothing of Django; this module feeds it from a handful of
set-based queries and writes its answer back in one transaction:

1. Only one run at a time (a PostgreSQL advisory lock): two runs reading the same
   open capacity would both give away the last place.
2. When the run was asked to (the coordinator's form does by default, so does the
   schedule), give back the unsent proposals of older runs in its area (they become
   'superseded', their places return to the providers, one audit event says how many):
   otherwise places proposed last week and never sent stay taken, and a household
   registered since, however urgent, finds no room. Own transaction, before the read,
   so the read sees the places; a run that then fails has only undone what it would
   have redone (those households are waiting again, with no proposal).
3. Read (no row locks yet, so the progress page can show the phases): providers that
   accept and have open capacity in the run's area, waiting and reachable
   registrations without an open proposal or offer, and the pairs declined before.
4. Match in memory, and say in words why each household left without a proposal was
   (unplaced.py; the engine's file format has no place for it).
5. Write, in one transaction: lock the providers that receive proposals (id order),
   re-read their open capacity (a provider may have lowered it meanwhile; proposals
   that no longer fit are dropped, lowest rank first), COPY the proposals in, take
   the places with one UPDATE ... FROM unnest(...), and COPY the unplaced with their
   reasons (replacing what older runs said about the same registrations).

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

from attachment.core import audit
from attachment.matching import ProviderSlot, RegistrationItem, match
from attachment.matching.unplaced import explain_unplaced
from attachment.workflow.models import MatchRun

DROPPED_REASON = "The provider's open places went down while the run was going; the next run tries again"

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
    # Not over a finished run: a second delivery must not make it look unfinished again.
    MatchRun.objects.filter(pk=run.pk).exclude(status=MatchRun.Status.SUCCEEDED).update(
        phase="Waiting for any other matching run to finish", status=MatchRun.Status.RUNNING
    )
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s)", [RUN_LOCK_KEY])
    try:
        timings["wait_for_lock"] = time.perf_counter() - started
        # A second delivery of the same run (the reaper's, or the dead worker's message
        # coming back) may have waited here for the first: it finds the run done.
        done = MatchRun.objects.filter(pk=run.pk, status=MatchRun.Status.SUCCEEDED).first()
        if done is not None:
            return done
        run.status = MatchRun.Status.RUNNING
        t = time.perf_counter()
        superseded = 0
        if run.parameters.get("supersede"):
            _set_phase(run, "Returning unsent proposals of earlier runs")
            superseded = supersede_unsent(run)
        timings["supersede"] = time.perf_counter() - t

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
        # The proposals, the reasons for those left out and the run's "Finished" commit
        # together: a worker killed between them would otherwise leave a run that is re-run
        # on top of its own proposals.
        unplaced = _unplaced_reasons(providers, registrations, result.unmatched)
        with transaction.atomic():
            written, dropped, people = _write(run, result.proposals, keys)
            for code in dropped:
                unplaced[code] = DROPPED_REASON
            _write_unplaced(run, unplaced, keys)
            timings["write"] = time.perf_counter() - t
            figures = {
                "registrations": len(registrations),
                "providers": len(providers),
                "proposed": written,
                "people": people,
                "unmatched": len(registrations) - written,
                "dropped_capacity_changed": len(dropped),
                "superseded": superseded,
                "seconds": {k: round(v, 3) for k, v in timings.items()},
                "total_seconds": round(time.perf_counter() - started, 3),
            }
            _set_phase(run, "Finished", status=MatchRun.Status.SUCCEEDED, figures=figures, error="",
                       finished_at=timezone.now())
    except Exception as exc:
        MatchRun.objects.filter(pk=run.pk).update(
            status=MatchRun.Status.FAILED, phase="Failed", error=f"{type(exc).__name__}: {exc}"[:4000],
            finished_at=timezone.now(),
        )
        raise
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", [RUN_LOCK_KEY])
    return run


@transaction.atomic
def _write(run: MatchRun, proposals, keys) -> tuple[int, list[str], int]:
    """Insert the proposals and take their places; returns (written, codes dropped, people)."""
    wanted = defaultdict(int)
    for p in proposals:
        wanted[int(p.provider)] += keys[p.registration][1]
    if not wanted:
        return 0, [], 0
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
    dropped = []
    people = 0
    for p in proposals:
        pid = int(p.provider)
        rid, size = keys[p.registration]
        if taken[pid] + size > room.get(pid, 0):
            dropped.append(p.registration)
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


RUN_RESTARTED = "The worker stopped; the run was restarted automatically"
RUN_GIVEN_UP = ("The background worker stopped during the run, and it could not be restarted. "
                "Please start the run again.")


def run_interrupted(sender, *, job, restarted: bool, **kwargs) -> None:
    """The reaper found a matching run whose worker died (job_interrupted): tell the run page.

    The dead run's proposals never committed (they commit with "Finished"), so a restart
    proposes from scratch and nobody is proposed twice.
    """
    from attachment.workflow.tasks import run_matching as task

    if job.task != task.name or not job.task_args:
        return
    unfinished = MatchRun.objects.filter(pk=job.task_args[0], status__in=[MatchRun.Status.QUEUED, MatchRun.Status.RUNNING])
    if restarted:
        unfinished.update(status=MatchRun.Status.QUEUED, phase=RUN_RESTARTED)
    else:
        unfinished.update(status=MatchRun.Status.FAILED, phase="Failed", error=RUN_GIVEN_UP, finished_at=timezone.now())


def run_restarted(run: MatchRun) -> bool:
    """Whether a worker died during this run (and the run was sent again)."""
    from attachment.core.jobs import was_interrupted
    from attachment.workflow.tasks import run_matching as task

    return run.status != MatchRun.Status.FAILED and was_interrupted(task.name, [run.pk])
# --- older runs' unsent proposals, and the households left without one -----------------

def supersede_unsent(run: MatchRun) -> int:
    """Mark the unsent proposals of older runs in this run's area superseded and give
    their places back (set-based: a province-wide run may return tens of thousands).

    Under READ COMMITTED the UPDATE re-checks `status = 'proposed'` on each row it had
    to wait for, so a proposal a coordinator sends or skips at this moment is left to
    them. Places are given back as providers.capacity.return_places does, in one
    statement: only places taken since the provider's newest declaration, and never
    above what it declared. Providers are locked in id order first, like every other
    multi-provider writer.
    """
    scope, params = _scope_sql(run.parameters, "r.community_id")
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"""
            UPDATE attachment_proposal pr
            SET status = 'superseded', decided_at = now(), decided_by_id = %s,
                skip_reason = %s
            FROM patients_registration r
            WHERE r.id = pr.registration_id AND pr.status = 'proposed' AND pr.match_run_id <> %s {scope}
            RETURNING pr.provider_id, pr.places, pr.created_at, pr.match_run_id
            """,
            [run.started_by_id, f"Unsent when matching run {run.pk} started; matched again", run.pk, *params],
        )
        gone = cur.fetchall()
        if not gone:
            return 0
        provider_ids = sorted({row[0] for row in gone})
        cur.execute("SELECT id FROM providers_provider WHERE id = ANY(%s) ORDER BY id FOR UPDATE", [provider_ids])
        cur.execute(
            """
            WITH back AS (
                SELECT g.provider_id, g.places, g.taken_at
                FROM unnest(%s::bigint[], %s::int[], %s::timestamptz[]) AS g(provider_id, places, taken_at)
            ), latest AS (
                SELECT DISTINCT ON (d.provider_id) d.provider_id, d.new_patients, d.declared_at
                FROM providers_capacitydeclaration d
                WHERE d.provider_id = ANY(%s)
                ORDER BY d.provider_id, d.declared_at DESC, d.id DESC
            ), due AS (
                SELECT b.provider_id, SUM(b.places) AS places, MIN(l.new_patients) AS declared
                FROM back b JOIN latest l ON l.provider_id = b.provider_id
                WHERE b.taken_at >= l.declared_at
                GROUP BY b.provider_id
            )
            UPDATE providers_provider p
            SET open_capacity = GREATEST(p.open_capacity, LEAST(p.open_capacity + due.places, due.declared))
            FROM due WHERE p.id = due.provider_id
            """,
            [[row[0] for row in gone], [row[1] for row in gone], [row[2] for row in gone], provider_ids],
        )
        audit.record(
            user=run.started_by, action="update", obj=run, actor=audit.Actor.task("matching_run", user=run.started_by),
            summary=f"Returned {len(gone):,} unsent proposals of earlier runs to the providers",
            changes={"superseded": len(gone), "places": sum(row[1] for row in gone),
                     "runs": sorted({row[3] for row in gone})},
        )
    return len(gone)


def _unplaced_reasons(providers, registrations, unmatched) -> dict[str, str]:
    """{reference code: why} for the registrations the engine left without a proposal."""
    from registries.vocab import NEED_NAMES

    if not unmatched:
        return {}
    wanted = set(unmatched)
    left = [r for r in registrations if r.id in wanted]
    names = {}
    if any(r.declined for r in left):
        with connection.cursor() as cur:
            cur.execute(
                "SELECT id::text, CASE kind WHEN 'FP' THEN 'Dr. ' ELSE 'NP ' END || first_name || ' ' || last_name"
                " FROM providers_provider WHERE id = ANY(%s)",
                [sorted({int(d) for r in left for d in r.declined})],
            )
            names = dict(cur.fetchall())
    return explain_unplaced(providers, left, need_names=NEED_NAMES, provider_name=lambda pid: names.get(pid, pid))


def _write_unplaced(run: MatchRun, reasons: dict[str, str], keys) -> None:
    """Replace what older runs said about these registrations with this run's reasons."""
    with connection.cursor() as cur:
        cur.execute("DELETE FROM attachment_unplacedregistration WHERE registration_id = ANY(%s)",
                    [[keys[code][0] for code in keys]])
        if not reasons:
            return
        with cur.copy("COPY attachment_unplacedregistration (match_run_id, registration_id, reason) FROM STDIN") as copy:
            for code, reason in reasons.items():
                copy.write_row((run.pk, keys[code][0], reason[:300]))
