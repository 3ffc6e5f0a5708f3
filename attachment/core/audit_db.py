"""The audit trail's protection in the database, against the application's own role.

The triggers (migrations 0002 and 0007) refuse UPDATE, DELETE and TRUNCATE, in replica
mode too. What they cannot stop is their owner: the owner of a table may DISABLE or
DROP its triggers. So in a deployment the audit table and its trigger functions belong
to a role the application does not log in as, and the application's role may only
INSERT and SELECT. `harden(...)` sets that up; it is idempotent (run it again after
migrations that touch the audit table, as the owner role or a superuser).
"""

from psycopg import sql

AUDIT_TABLE = "attachment_auditevent"
TRIGGER_FUNCTIONS = ("attach_audit_append_only()", "attach_audit_no_truncate()")


def harden(cursor, *, owner: str, app_role: str) -> list[str]:
    """Make `owner` (created NOLOGIN if missing) own the audit table and its trigger
    functions; leave `app_role` only INSERT and SELECT on it. Returns warnings about
    what else would let `app_role` erase the trail."""
    if owner == app_role:
        raise ValueError("The owner must be a role the application does not log in as.")
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [owner])
    if cursor.fetchone() is None:
        cursor.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(owner)))
    table, o, app = sql.Identifier(AUDIT_TABLE), sql.Identifier(owner), sql.Identifier(app_role)
    cursor.execute(sql.SQL("ALTER TABLE {} OWNER TO {}").format(table, o))  # its identity sequence follows
    for function in TRIGGER_FUNCTIONS:
        cursor.execute(sql.SQL("ALTER FUNCTION {} OWNER TO {}").format(sql.SQL(function), o))
        cursor.execute(sql.SQL("REVOKE ALL ON FUNCTION {} FROM PUBLIC").format(sql.SQL(function)))
    cursor.execute(sql.SQL("REVOKE ALL ON {} FROM PUBLIC, {}").format(table, app))
    cursor.execute(sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(table, app))
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [AUDIT_TABLE])
    sequence = cursor.fetchone()[0]
    if sequence:
        cursor.execute(sql.SQL("GRANT USAGE ON SEQUENCE {} TO {}").format(sql.SQL(sequence), app))
    return warnings(cursor, app_role)


def warnings(cursor, app_role: str) -> list[str]:
    """What would still let `app_role` erase or rewrite the trail."""
    found = []
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [app_role])
    row = cursor.fetchone()
    if row is None:
        return [f"There is no role {app_role}."]
    if row[0]:
        found.append(f"{app_role} is a superuser: it can do anything, the trail included. Log in as an ordinary role.")
    cursor.execute(
        "SELECT pg_has_role(%s, c.relowner, 'USAGE') FROM pg_class c WHERE c.oid = %s::regclass",
        [app_role, AUDIT_TABLE],
    )
    if cursor.fetchone()[0]:
        found.append(f"{app_role} owns (or is a member of the owner of) {AUDIT_TABLE}: it may disable its triggers.")
    cursor.execute(
        "SELECT pg_has_role(%s, n.nspowner, 'USAGE') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.oid = %s::regclass",
        [app_role, AUDIT_TABLE],
    )
    if cursor.fetchone()[0]:
        found.append(f"{app_role} owns the schema of {AUDIT_TABLE}: a schema's owner may DROP the table. "
                     "Give the schema to the owner role and grant the application USAGE on it.")
    for privilege in ("UPDATE", "DELETE", "TRUNCATE"):
        cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [app_role, AUDIT_TABLE, privilege])
        if cursor.fetchone()[0]:
            found.append(f"{app_role} holds {privilege} on {AUDIT_TABLE}.")
    return found
