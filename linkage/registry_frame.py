"""The registry as the linkage engine reads it: one DataFrame, from one COPY.

The people the registry knows, for a local list to be linked against, are the members of
open registrations (waiting or offered: a person on the waitlist) and the patients on an
open panel (attached). Both are `patients_patient` rows; `person_id` is the patient's id as
text. A household's contact details (postal code, phone, email, community) are the
registration's; a panel patient has their own postal code and, as community, that of the
clinic of their provider's panel when there is one.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import polars as pl
from django.db import connection

SCHEMA = {
    "person_id": pl.String, "last_name": pl.String, "first_name": pl.String, "date_of_birth": pl.Date,
    "phn": pl.String, "gender": pl.String, "postal_code": pl.String, "phone": pl.String, "email": pl.String,
    "community": pl.String,
}

# One pass: members of open registrations, then panel patients who are not such members
# (their community: the first clinic of their provider, one hash join, not a look-up per row).
REGISTRY_SQL = """
    SELECT p.id::text, p.last_name, p.first_name, p.date_of_birth, coalesce(p.phn, ''), p.gender,
           coalesce(nullif(r.postal_code, ''), p.postal_code), r.phone, r.email, c.name
      FROM patients_patient p
      JOIN patients_registration r ON r.id = p.registration_id AND r.status IN ('waiting', 'offered')
      JOIN registries_community c ON c.id = r.community_id
    UNION ALL
    SELECT p.id::text, p.last_name, p.first_name, p.date_of_birth, coalesce(p.phn, ''), p.gender,
           p.postal_code, '', '', coalesce(pc.name, '')
      FROM registries_panelentry e
      JOIN patients_patient p ON p.id = e.patient_id
      LEFT JOIN patients_registration r ON r.id = p.registration_id
      LEFT JOIN (SELECT DISTINCT ON (x.provider_id) x.provider_id, cc.name
                   FROM providers_providerclinic x
                   JOIN providers_clinic k ON k.id = x.clinic_id
                   JOIN registries_community cc ON cc.id = k.community_id
                  ORDER BY x.provider_id, x.clinic_id) pc ON pc.provider_id = e.provider_id
     WHERE e.ended_at IS NULL AND (r.id IS NULL OR r.status NOT IN ('waiting', 'offered'))
"""

# The dedupe job's people: members of waiting registrations only (those the waitlist ranks).
WAITING_SQL = """
    SELECT p.id::text, p.last_name, p.first_name, p.date_of_birth, coalesce(p.phn, ''), p.gender,
           coalesce(nullif(r.postal_code, ''), p.postal_code), r.phone, r.email, c.name
      FROM patients_patient p
      JOIN patients_registration r ON r.id = p.registration_id AND r.status = 'waiting'
      JOIN registries_community c ON c.id = r.community_id
"""


def _copy_frame(sql: str, params=()) -> pl.DataFrame:
    buffer = io.BytesIO()
    with connection.cursor() as cursor:
        query = cursor.mogrify(sql, params) if params else sql
        if isinstance(query, bytes):
            query = query.decode()
        with cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)") as copy:
            for block in copy:
                buffer.write(block)
    if not buffer.getbuffer().nbytes:
        return pl.DataFrame(schema=SCHEMA)
    buffer.seek(0)
    frame = pl.read_csv(buffer, has_header=False, schema=SCHEMA)
    return frame.with_columns(pl.col(c).fill_null("") for c, t in SCHEMA.items() if t == pl.String)


def registry_frame() -> pl.DataFrame:
    """Everyone a local list may already name: waiting (or offered) members and panel patients."""
    return _copy_frame(REGISTRY_SQL)


def waiting_frame() -> pl.DataFrame:
    return _copy_frame(WAITING_SQL)


@dataclass(frozen=True)
class PersonFacts:
    """Where a person the linkage named stands now: their open registration, their panel."""

    patient_id: int
    registration_id: int | None
    registration_open: bool
    division_id: int | None
    on_panel: bool


def facts(patient_ids) -> dict[int, PersonFacts]:
    """One query for all the people a run of the linkage named."""
    ids = sorted({int(i) for i in patient_ids})
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT p.id, r.id, coalesce(r.status IN ('waiting', 'offered'), false), r.division_id,
                   EXISTS (SELECT 1 FROM registries_panelentry e WHERE e.patient_id = p.id AND e.ended_at IS NULL)
              FROM unnest(%s::bigint[]) AS i(id)
              JOIN patients_patient p ON p.id = i.id
              LEFT JOIN patients_registration r ON r.id = p.registration_id
            """,
            [ids],
        )
        return {row[0]: PersonFacts(*row) for row in cursor.fetchall()}
