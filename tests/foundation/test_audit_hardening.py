"""The audit trail holds against the application's own database role (real PostgreSQL).

The application's role here is an ordinary role given, on purpose, more than a
deployment gives it: every privilege on every table (the audit table included) and the
README's SET on session_replication_role. Not owning the audit table is what it lacks.
"""

import uuid

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from attachment.core import audit
from attachment.core.models import AuditEvent

pytestmark = pytest.mark.django_db

ATTEMPTS = {
    "update": ["UPDATE attachment_auditevent SET summary = 'nothing happened'"],
    "delete": ["DELETE FROM attachment_auditevent"],
    "truncate": ["TRUNCATE attachment_auditevent"],
    "disable the trigger": ["ALTER TABLE attachment_auditevent DISABLE TRIGGER attachment_auditevent_append_only"],
    "disable every trigger": ["ALTER TABLE attachment_auditevent DISABLE TRIGGER ALL"],
    "drop the trigger": ["DROP TRIGGER attachment_auditevent_append_only ON attachment_auditevent"],
    "drop the table": ["DROP TABLE attachment_auditevent CASCADE"],
    "replica mode, then delete": ["SET LOCAL session_replication_role = replica", "DELETE FROM attachment_auditevent"],
    "replica mode, then update": ["SET LOCAL session_replication_role = replica",
                                  "UPDATE attachment_auditevent SET summary = 'forged'"],
    "replace the trigger function": [
        "CREATE OR REPLACE FUNCTION attach_audit_append_only() RETURNS trigger AS $$ BEGIN RETURN OLD; END; $$ "
        "LANGUAGE plpgsql"
    ],
}


def _role(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def app_role():
    """Created inside the test's transaction, so it goes with the rollback."""
    role = _role("attach_app")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
        cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}")
        cursor.execute(f"GRANT SET ON PARAMETER session_replication_role TO {role}")
    return role


def as_role(role, statements):
    """Run `statements` as `role` in a savepoint; the error it raised, or None."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {role}")
            for statement in statements:
                cursor.execute(statement)
    except DatabaseError as exc:
        return exc
    return None


@pytest.mark.parametrize("attempt", list(ATTEMPTS))
def test_the_application_role_cannot_erase_or_rewrite_the_trail(app_role, attempt):
    event = audit.record(action="view", object_type="patients.Registration", object_id="1", summary="kept")
    with connection.cursor() as cursor:
        # Fire the insert's deferred key checks now: TRUNCATE refuses a table with pending
        # trigger events, which would hide whether it is refused for the right reason.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    error = as_role(app_role, ATTEMPTS[attempt])
    assert error is not None, f"{attempt} succeeded"
    assert "pending trigger events" not in str(error)
    assert AuditEvent.objects.get(pk=event.pk).summary == "kept"


def test_the_application_role_still_writes_and_reads_the_trail(app_role):
    assert as_role(app_role, [
        "INSERT INTO attachment_auditevent (at, action, object_type, object_id, summary, reason, changes, ip_address, "
        "user_agent) VALUES (now(), 'view', 'x', '1', 'as the app', '', '{}', NULL, '')",
        "SELECT count(*) FROM attachment_auditevent",
    ]) is None
    assert AuditEvent.objects.filter(summary="as the app").exists()


def test_the_triggers_fire_in_replica_mode_too():
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'attachment_auditevent'::regclass "
                       "AND NOT tgisinternal ORDER BY tgname")
        assert cursor.fetchall() == [("attachment_auditevent_append_only", "A"), ("attachment_auditevent_no_truncate", "A")]


def test_harden_audit_gives_the_table_to_an_owner_and_the_app_only_insert_and_select(capsys):
    owner, app = _role("attach_owner"), _role("attach_app")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {app} NOLOGIN")
        cursor.execute(f"GRANT ALL ON attachment_auditevent TO {app}")  # as a careless deployment would
    call_command("harden_audit", owner=owner, app_role=app)
    call_command("harden_audit", owner=owner, app_role=app)  # idempotent
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'attachment_auditevent'::regclass")
        assert cursor.fetchone()[0] == owner
        cursor.execute("SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE proname LIKE 'attach_audit_%' ")
        assert {row[0] for row in cursor.fetchall()} == {owner}
        privileges = {}
        for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"):
            cursor.execute("SELECT has_table_privilege(%s, 'attachment_auditevent', %s)", [app, privilege])
            privileges[privilege] = cursor.fetchone()[0]
    assert privileges == {"SELECT": True, "INSERT": True, "UPDATE": False, "DELETE": False, "TRUNCATE": False}
    captured = capsys.readouterr()
    assert f"now belongs to {owner}" in captured.out and "warning" not in captured.err
    assert as_role(app, ["ALTER TABLE attachment_auditevent DISABLE TRIGGER ALL"]) is not None


def test_harden_audit_refuses_to_make_the_app_its_own_owner():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("harden_audit", owner="attach", app_role="attach")
