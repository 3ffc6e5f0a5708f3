"""FHIR R4 resources as NDJSON, built by PostgreSQL: one JSON text per row, COPY'd straight to a file.

Nothing here goes through Python per resource: each resource type is one query whose
rows are the resources' JSON (json_build_object), streamed out with COPY. The CSV
format with quote and delimiter characters that JSON text never holds raw (\x01,
\x02) writes each value exactly as PostgreSQL made it, one per line; COPY's text
format would double every backslash of the JSON's escapes.

A FHIR element must not be null and an array must not be empty, so optional elements
are built with CASE (one row at a time, cheap) or, for the few small rows of
Practitioner and Organization, cleared with json_strip_nulls.
"""

from __future__ import annotations

from psycopg import sql

# The naming systems are fhir.mapping's, so an export says what /fhir/ says.
from fhir.mapping import CLINIC_SYSTEM, FACILITY_SYSTEM, PHN_SYSTEM, PRACTITIONER_SYSTEM

TYPES = ("Patient", "Group", "Practitioner", "Organization")

_INSTANT = "to_char(({col}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
_GENDER = "CASE {col} WHEN 'F' THEN 'female' WHEN 'M' THEN 'male' WHEN 'X' THEN 'other' ELSE 'unknown' END"

_PATIENT_ID = f"""
    'resourceType', 'Patient', 'id', p.id::text,
    'meta', json_build_object('lastUpdated', {_INSTANT.format(col="p.created_at")})"""
_PATIENT_PHN = """,
    'identifier', json_build_array(json_build_object('system', {phn_system}, 'value', p.phn))"""
_PATIENT_REST = f""",
    'name', json_build_array(json_build_object('use', 'official', 'family', p.last_name,
                                               'given', json_build_array(p.first_name))),
    'gender', {_GENDER.format(col="p.gender")},
    'birthDate', to_char(p.date_of_birth, 'YYYY-MM-DD')"""
_PATIENT_ADDRESS = """,
    'address', json_build_array(json_build_object('postalCode', p.postal_code, 'country', 'CA'))"""


def _patient(*, phn: bool, address: bool) -> str:
    return ("json_build_object(" + _PATIENT_ID + (_PATIENT_PHN if phn else "") + _PATIENT_REST
            + (_PATIENT_ADDRESS if address else "") + ")")


# A person merged from a local waitlist may have no PHN yet (patients 0010): then no
# identifier at all, as fhir/mapping.py leaves it out (an identifier must have a value).
PATIENT = f"""
SELECT CASE WHEN p.phn IS NULL OR p.phn = '' THEN
            CASE WHEN p.postal_code = '' THEN {_patient(phn=False, address=False)}
                 ELSE {_patient(phn=False, address=True)} END
       WHEN p.postal_code = '' THEN {_patient(phn=True, address=False)}
       ELSE {_patient(phn=True, address=True)}
       END::text
FROM registries_panelentry e
JOIN patients_patient p ON p.id = e.patient_id
WHERE e.provider_id = ANY({{providers}}) AND e.ended_at IS NULL
  AND ({{since}}::timestamptz IS NULL OR p.created_at >= {{since}} OR e.created_at >= {{since}})
"""

# A provider's panel: its open entries now. With _since, the panels whose membership
# changed since (an entry begun or ended), with their whole current membership. The
# members' array is the big part (a million entries in all): built once by json_agg and
# never re-parsed, so an empty panel takes the other branch rather than json_strip_nulls.
_GROUP_COMMON = f"""
    'resourceType', 'Group', 'id', pr.id::text,
    'meta', json_build_object('lastUpdated', {_INSTANT.format(col="COALESCE(m.changed, pr.created_at)")}),
    'identifier', json_build_array(json_build_object('system', {{practitioner_system}},
                                                     'value', pr.practitioner_number)),
    'active', true, 'type', 'person', 'actual', true,
    'name', 'Panel of ' || CASE pr.kind WHEN 'FP' THEN 'Dr. ' ELSE 'NP ' END || pr.first_name || ' ' || pr.last_name,
    'managingEntity', json_build_object('reference', 'Practitioner/' || pr.id,
                                        'display', pr.first_name || ' ' || pr.last_name),
    'quantity', COALESCE(m.n, 0)"""

GROUP = f"""
SELECT CASE WHEN m.n > 0 THEN json_build_object({_GROUP_COMMON}, 'member', m.members)
       ELSE json_build_object({_GROUP_COMMON}) END::text
FROM providers_provider pr
LEFT JOIN LATERAL (
    SELECT count(*) AS n, max(e.created_at) AS changed,
           json_agg(json_build_object('entity', json_build_object('reference', 'Patient/' || e.patient_id),
                                      'period', json_build_object('start', to_char(e.since, 'YYYY-MM-DD'))))
               AS members
    FROM registries_panelentry e
    WHERE e.provider_id = pr.id AND e.ended_at IS NULL
) m ON true
WHERE pr.id = ANY({{providers}})
  AND ({{since}}::timestamptz IS NULL OR EXISTS (
      SELECT 1 FROM registries_panelentry c
      WHERE c.provider_id = pr.id AND (c.created_at >= {{since}} OR c.ended_at >= {{since}})))
"""

PRACTITIONER = f"""
SELECT json_strip_nulls(json_build_object(
    'resourceType', 'Practitioner', 'id', pr.id::text,
    'meta', json_build_object('lastUpdated', {_INSTANT.format(col="pr.created_at")}),
    'identifier', json_build_array(json_build_object('system', {{practitioner_system}},
                                                     'value', pr.practitioner_number)),
    'active', true,
    'name', json_build_array(json_build_object(
        'family', pr.last_name, 'given', json_build_array(pr.first_name),
        'prefix', CASE pr.kind WHEN 'FP' THEN json_build_array('Dr.') END)),
    'gender', CASE pr.gender WHEN 'F' THEN 'female' WHEN 'M' THEN 'male' WHEN 'X' THEN 'other' END,
    'qualification', json_build_array(json_build_object('code', json_build_object(
        'text', CASE pr.kind WHEN 'FP' THEN 'Family physician' ELSE 'Nurse practitioner' END)))
))::text
FROM providers_provider pr
WHERE pr.id = ANY({{providers}}) AND ({{since}}::timestamptz IS NULL OR pr.created_at >= {{since}})
"""

ORGANIZATION = f"""
SELECT json_strip_nulls(json_build_object(
    'resourceType', 'Organization', 'id', c.id::text,
    'meta', json_build_object('lastUpdated', {_INSTANT.format(col="c.updated_at")}),
    'identifier', CASE WHEN ci.facility_number <> ''
        THEN json_build_array(json_build_object('system', {{facility_system}}, 'value', ci.facility_number),
                              json_build_object('system', {{clinic_system}}, 'value', c.id::text))
        ELSE json_build_array(json_build_object('system', {{clinic_system}}, 'value', c.id::text)) END,
    'active', true, 'name', c.name,
    'type', json_build_array(json_build_object('text', 'Primary care clinic')),
    'telecom', CASE WHEN c.phone <> '' THEN json_build_array(json_build_object('system', 'phone', 'value', c.phone)) END,
    'address', json_build_array(json_build_object(
        'line', CASE WHEN c.address <> '' THEN json_build_array(c.address) END,
        'city', co.name, 'state', 'BC', 'postalCode', NULLIF(c.postal_code, ''), 'country', 'CA'))
))::text
FROM providers_clinic c
JOIN registries_community co ON co.id = c.community_id
LEFT JOIN fhir_clinicintegration ci ON ci.clinic_id = c.id
WHERE c.id IN (SELECT pc.clinic_id FROM providers_providerclinic pc WHERE pc.provider_id = ANY({{providers}}))
  AND ({{since}}::timestamptz IS NULL OR c.updated_at >= {{since}})
"""

QUERIES = {"Patient": PATIENT, "Group": GROUP, "Practitioner": PRACTITIONER, "Organization": ORGANIZATION}


def copy_statement(resource_type: str, *, provider_ids, since) -> sql.Composed:
    """The COPY that writes `resource_type`'s NDJSON for those providers' panels."""
    query = sql.SQL(QUERIES[resource_type]).format(
        providers=sql.Literal([int(i) for i in provider_ids]) + sql.SQL("::bigint[]"),
        since=sql.Literal(since),
        phn_system=sql.Literal(PHN_SYSTEM),
        practitioner_system=sql.Literal(PRACTITIONER_SYSTEM),
        facility_system=sql.Literal(FACILITY_SYSTEM),
        clinic_system=sql.Literal(CLINIC_SYSTEM),
    )
    return sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')").format(query)


def write_ndjson(cursor, resource_type: str, path, *, provider_ids, since) -> int:
    """Stream one type's resources into `path`; returns how many were written.

    `cursor` is a psycopg cursor (Django's connection.cursor().cursor)."""
    lines = 0
    with open(path, "wb") as out, cursor.copy(copy_statement(resource_type, provider_ids=provider_ids,
                                                             since=since)) as copy:
        for block in copy:
            out.write(block)
            lines += bytes(block).count(b"\n")
    return lines
