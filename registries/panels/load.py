"""The bulk load of a checked upload: set-based SQL in one transaction.

The valid rows are streamed with COPY into a temporary table, then patients, panel
entries, conflicts and waitlist flags are written with INSERT ... SELECT (anti-joins for
what is new). A worker that dies mid-load leaves nothing behind (the transaction never
commits; the broker re-delivers the task); a second load of the same rows finds
everything already there and changes nothing.

Where a million-row load spends its time, and why each statement is shaped as it is, is
measured by tests/bench/bench_panel_upload.py (per step, beside a bare COPY of the file).
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from attachment.core import audit
from attachment.core.jobs import Stopwatch
from registries.models import PanelUpload
from registries.panels import PanelError
from registries.panels.uploads import byte_blocks, checked_rows, set_progress

log = logging.getLogger("attach.panels")

COPY_CHUNK = 50_000


def _stage(cursor, blocks, *, progress=None, phase_span=(0, 50)) -> None:
    """COPY the valid rows (CSV blocks) into a temporary table dropped at commit (or rollback).

    Each row draws a patient id from the patients' own sequence as it is copied: a person new
    to the registry is inserted with it, and their panel entry refers to it, with no second
    look-up. RESOLVE_SQL puts the registry's id in place for people it already knows (the
    numbers drawn for them are left unused). `blocks` yields (fraction done, text or bytes);
    progress is reported between blocks.
    """
    # ON COMMIT DROP alone is not enough when the caller's transaction is still open (nested atomic).
    cursor.execute("DROP TABLE IF EXISTS pg_temp.panel_stage")
    cursor.execute("SELECT pg_get_serial_sequence('patients_patient', 'id')")
    sequence = cursor.fetchone()[0]
    cursor.execute(
        "CREATE TEMP TABLE panel_stage (line integer, phn varchar(10), last_name text, first_name text,"
        " date_of_birth date, gender varchar(1), postal_code varchar(7), last_visit date,"
        " patient_id bigint NOT NULL DEFAULT nextval(%s::regclass), known boolean NOT NULL DEFAULT false,"
        " mismatch boolean NOT NULL DEFAULT false, registration_id bigint) ON COMMIT DROP",
        [sequence],
    )
    low, high = phase_span
    with cursor.copy(
        "COPY panel_stage (line, phn, last_name, first_name, date_of_birth, gender, postal_code, last_visit)"
        " FROM STDIN (FORMAT csv)"
    ) as copy:
        for fraction, block in blocks:
            copy.write(block)
            if progress:
                progress(int(low + (high - low) * fraction), f"Staging rows ({fraction:.0%})")


# --- load ----------------------------------------------------------------------

# Each statement is one set-based pass over panel_stage; they run in this order inside the
# load's transaction. Existing people keep the details the registry already has; the file only
# adds new ones. A person someone else adds or attaches while the load runs is a unique
# violation: load_upload then runs the whole load again, and finds them.
#
# The people of the file the registry already knows (their staged patient id becomes theirs),
# and whether the row names them as the registry does (MISMATCH_SQL). A row whose name or date
# of birth disagree is trusted for nothing: no entry, no last visit, no waitlist flag; it is an
# identity conflict for the coordinators, with the file's values kept beside the registry's.
# MISMATCH_SQL: the same rule as patients.identity.same_person (attach_name_key, exact date of
# birth); an exact match, the usual case, is decided without normalising anything.
MISMATCH_SQL = """
    (p.date_of_birth IS DISTINCT FROM s.date_of_birth
     OR CASE WHEN p.first_name = s.first_name AND p.last_name = s.last_name THEN false
             ELSE attach_name_key(p.first_name) IS DISTINCT FROM attach_name_key(s.first_name)
               OR attach_name_key(p.last_name) IS DISTINCT FROM attach_name_key(s.last_name) END)
"""
RESOLVE_SQL = f"""
    UPDATE panel_stage s SET patient_id = p.id, known = true, registration_id = p.registration_id,
                             mismatch = {MISMATCH_SQL}
      FROM patients_patient p
     WHERE p.phn = s.phn
"""
# The new people, with the ids they drew, in PHN order (index locality). A plain INSERT, not
# ON CONFLICT, whose speculative insertion costs a second index probe per row.
PATIENTS_SQL = """
    INSERT INTO patients_patient (id, phn, first_name, last_name, date_of_birth, gender, postal_code,
                                  is_primary_contact, created_at)
    SELECT s.patient_id, s.phn, s.first_name, s.last_name, s.date_of_birth, coalesce(s.gender, ''),
           coalesce(s.postal_code, ''), false, %(now)s
      FROM panel_stage s
     WHERE NOT s.known
     ORDER BY s.phn
"""
LAST_VISITS_SQL = """
    UPDATE registries_panelentry e SET last_visit = s.last_visit
      FROM panel_stage s
     WHERE s.known AND NOT s.mismatch AND e.patient_id = s.patient_id AND e.provider_id = %(provider)s
       AND e.ended_at IS NULL AND s.last_visit IS NOT NULL AND (e.last_visit IS NULL OR e.last_visit < s.last_visit)
"""
# A known person on another provider's panel, or named otherwise than the registry names them.
CONFLICTS_SQL = """
    INSERT INTO registries_panelconflict (kind, patient_id, existing_entry_id, claiming_provider_id, upload_id,
                                          claimed_last_visit, claimed_first_name, claimed_last_name,
                                          claimed_date_of_birth, created_at, resolution, resolution_note)
    SELECT CASE WHEN s.mismatch THEN 'identity' ELSE 'panel' END, s.patient_id,
           CASE WHEN e.provider_id <> %(provider)s THEN e.id END, %(provider)s, %(upload)s,
           s.last_visit, s.first_name, s.last_name, s.date_of_birth, %(now)s, '', ''
      FROM panel_stage s
      LEFT JOIN registries_panelentry e ON e.patient_id = s.patient_id AND e.ended_at IS NULL
     WHERE s.known AND (s.mismatch OR e.provider_id <> %(provider)s)
    ON CONFLICT (patient_id, claiming_provider_id) WHERE resolved_at IS NULL DO NOTHING
"""
# In patient order (index locality). People this load added have no entry yet: only people the
# registry knew are looked up. A plain INSERT (see PATIENTS_SQL).
ENTRIES_SQL = """
    INSERT INTO registries_panelentry (patient_id, provider_id, since, source, last_visit, created_at,
                                       created_by_id, end_reason)
    SELECT s.patient_id, %(provider)s, %(today)s, 'upload', s.last_visit, %(now)s, %(user)s, ''
      FROM panel_stage s
     WHERE NOT s.known
        OR (NOT s.mismatch
            AND NOT EXISTS (SELECT 1 FROM registries_panelentry e WHERE e.patient_id = s.patient_id AND e.ended_at IS NULL))
     ORDER BY s.patient_id
"""
# The same, when the per-row foreign key checks are off (_key_checks_by_load): people who
# were already in the registry get an entry only once their row is locked FOR KEY SHARE, as the
# check would lock it, so no one can delete them before the entries commit. The people this
# load added are invisible to everyone else until then.
ENTRIES_LOCKED_SQL = """
    WITH locked AS (
        SELECT p.id FROM patients_patient p JOIN panel_stage s ON s.patient_id = p.id
         WHERE s.known AND NOT s.mismatch AND NOT EXISTS (SELECT 1 FROM registries_panelentry e
                                        WHERE e.patient_id = p.id AND e.ended_at IS NULL)
           FOR KEY SHARE OF p
    )
    INSERT INTO registries_panelentry (patient_id, provider_id, since, source, last_visit, created_at,
                                       created_by_id, end_reason)
    SELECT s.patient_id, %(provider)s, %(today)s, 'upload', s.last_visit, %(now)s, %(user)s, ''
      FROM panel_stage s
     WHERE NOT s.known
        OR (s.patient_id IN (SELECT id FROM locked)
            AND NOT EXISTS (SELECT 1 FROM registries_panelentry e WHERE e.patient_id = s.patient_id AND e.ended_at IS NULL))
     ORDER BY s.patient_id
"""
FLAGS_SQL = """
    INSERT INTO registries_waitlistflag (patient_id, registration_id, division_id, provider_id, upload_id,
                                         created_at, resolution_note)
    SELECT s.patient_id, r.id, r.division_id, %(provider)s, %(upload)s, %(now)s, ''
      FROM panel_stage s JOIN patients_registration r ON r.id = s.registration_id
     WHERE s.known AND NOT s.mismatch AND r.status IN ('waiting', 'offered')
    ON CONFLICT (patient_id, provider_id) WHERE resolved_at IS NULL DO NOTHING
"""
# Per table, the foreign keys whose per-row checks the load makes redundant: a panel entry's
# (see ENTRIES_LOCKED_SQL and the provider and user locks in load_upload) and a new patient's
# registration (always NULL for the people a panel file adds).
KEY_CHECKS_DONE_BY_LOAD = {
    "registries_panelentry": {"patient_id", "provider_id", "created_by_id"},
    "patients_patient": {"registration_id"},
}


def _key_checks_by_load(cursor, table: str) -> bool:
    """Whether rows may be inserted into `table` with the per-row foreign key triggers off.

    A foreign key is checked by one trigger call per inserted row at commit: for a
    million-row panel, millions of index probes and tuple locks, once half the load. The
    load makes those checks redundant (KEY_CHECKS_DONE_BY_LOAD): every patient id comes from
    patients_patient in this transaction (new rows are invisible to everyone else; known ones
    are locked FOR KEY SHARE in one statement), the provider and the user rows are locked
    once, and new patients have no registration. `session_replication_role = replica`
    turns off exactly the triggers not marked ENABLE ALWAYS (CHECK and UNIQUE still apply),
    so it is used only when the role may set it (a superuser, or a role granted
    `SET ON PARAMETER session_replication_role`, PostgreSQL 15+) and the table has no such
    trigger other than the checks of those keys; otherwise the ordinary triggers run.
    """
    cursor.execute(
        """
        SELECT has_parameter_privilege('session_replication_role', 'SET'),
               (SELECT count(*) FROM pg_trigger t
                 WHERE t.tgrelid = %s::regclass AND NOT t.tgisinternal AND t.tgenabled <> 'A'),
               (SELECT coalesce(array_agg(a.attname::text), '{}')
                  FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
                 WHERE c.conrelid = %s::regclass AND c.contype = 'f')
        """,
        [table, table],
    )
    may_set, other_triggers, fk_columns = cursor.fetchone()
    return bool(may_set) and other_triggers == 0 and set(fk_columns) <= KEY_CHECKS_DONE_BY_LOAD[table]


def load_upload(upload_id: int, *, progress=None, chunk_size: int = COPY_CHUNK, timings: dict | None = None,
                attempts: int = 3) -> PanelUpload:
    """Load the valid rows of a checked upload. The service the Celery task (and the command) call.

    `progress(percent, phase)` is called between chunks and phases; by default it
    writes the cache the page polls. An exception anywhere rolls everything back.
    `timings`, when given, receives the seconds each step took (the benchmark prints them).
    A person added or attached by someone else while the load ran is a unique violation:
    the load is rolled back and run again, and then finds them.
    """
    for attempt in range(1, attempts + 1):
        try:
            return _load_upload(upload_id, progress=progress, chunk_size=chunk_size, timings=timings)
        except IntegrityError as exc:
            unique_violation = getattr(exc.__cause__, "sqlstate", None) == "23505"
            if attempt == attempts or not unique_violation or connection.in_atomic_block:
                raise
            log.warning("panel upload %s: a patient was added meanwhile; loading again", upload_id)
    raise AssertionError("unreachable")


def _load_upload(upload_id: int, *, progress, chunk_size: int, timings: dict | None) -> PanelUpload:
    report_progress = progress or (lambda percent, phase: set_progress(upload_id, percent, phase))
    clock = Stopwatch(timings)
    with transaction.atomic():
        upload = PanelUpload.objects.select_for_update().select_related("provider").get(pk=upload_id)
        if upload.status == PanelUpload.Status.LOADED:
            return upload  # a re-delivered task: the work is done
        if upload.status != PanelUpload.Status.LOADING:
            raise PanelError(f"Upload {upload_id} is {upload.status}, not waiting to load.")
        report_progress(1, "Reading the file")
        # About `chunk_size` rows per block (a row is some 60 bytes).
        blocks = byte_blocks(checked_rows(upload).copy_csv(), chunk_size * 64)
        now = timezone.now()
        user_id = upload.load_requested_by_id or upload.uploaded_by_id
        params = {"provider": upload.provider_id, "upload": upload.pk, "user": user_id, "now": now,
                  "today": timezone.localdate(now)}
        figures = {}
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            clock.lap("read")
            _stage(cursor, blocks, progress=report_progress, phase_span=(2, 40))
            clock.lap("stage")
            report_progress(41, "Finding the people the registry knows")
            cursor.execute(RESOLVE_SQL)
            cursor.execute("ANALYZE panel_stage")
            clock.lap("resolve")
            report_progress(42, "Adding new patients")
            patients_by_load = _key_checks_by_load(cursor, "patients_patient")
            if patients_by_load:
                cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(PATIENTS_SQL, params)
            figures["patients"] = cursor.rowcount
            if patients_by_load:
                cursor.execute("SET LOCAL session_replication_role = origin")
            clock.lap("patients")
            report_progress(70, "Updating last visits")
            cursor.execute(LAST_VISITS_SQL, params)
            figures["last_visits"] = cursor.rowcount
            report_progress(72, "Recording conflicts with other panels")
            cursor.execute(CONFLICTS_SQL, params)
            figures["conflicts"] = cursor.rowcount
            clock.lap("conflicts")
            report_progress(75, "Adding panel entries")
            by_locks = _key_checks_by_load(cursor, "registries_panelentry")
            if by_locks and user_id:
                cursor.execute("SELECT 1 FROM auth_user WHERE id = %s FOR KEY SHARE", [user_id])
            if by_locks:
                cursor.execute("SELECT 1 FROM providers_provider WHERE id = %s FOR KEY SHARE", [upload.provider_id])
                cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(ENTRIES_LOCKED_SQL if by_locks else ENTRIES_SQL, params)
            figures["entries"] = cursor.rowcount
            if by_locks:
                cursor.execute("SET LOCAL session_replication_role = origin")
            clock.lap("entries")
            report_progress(95, "Flagging patients on the waitlist")
            cursor.execute(FLAGS_SQL, params)
            figures["flags"] = cursor.rowcount
            cursor.execute("DROP TABLE panel_stage")
            clock.lap("flags")
        report = dict(upload.report)
        report["load"] = {
            "new_patients": figures["patients"],
            "entries_added": figures["entries"],
            "last_visits_updated": figures["last_visits"],
            "new_conflicts": figures["conflicts"],
            "waitlist_flags": figures["flags"],
        }
        upload.report = report
        upload.rows_loaded = figures["entries"]
        upload.status = PanelUpload.Status.LOADED
        upload.finished_at = timezone.now()
        upload.save(update_fields=["report", "rows_loaded", "status", "finished_at"])
        audit.record(
            user=upload.load_requested_by or upload.uploaded_by, action="update", obj=upload,
            summary=(
                f"Panel of {upload.provider} loaded: {figures['entries']} entries added, "
                f"{figures['patients']} new patients, {figures['conflicts']} conflicts, {figures['flags']} waitlist flags"
            ),
        )
        transaction.on_commit(lambda: set_progress(upload_id, 100, "Loaded"))
    clock.lap("commit")
    return upload
