from django.db import migrations

# The append-only trigger of 0002 holds against a plain UPDATE or DELETE. Here it holds in
# replica mode too (a role granted SET on session_replication_role, as the README suggests
# for fast panel loads, would otherwise skip it), and TRUNCATE, which row triggers never
# see, is refused. Only a superuser may still TRUNCATE: it can disable any trigger anyway,
# and Django's test flush needs it. Who may DISABLE or DROP the triggers (the table's
# owner) is the deployment's part: `manage.py harden_audit` (README, "Deploying").
SQL = """
ALTER TABLE attachment_auditevent ENABLE ALWAYS TRIGGER attachment_auditevent_append_only;
CREATE OR REPLACE FUNCTION attach_audit_no_truncate() RETURNS trigger AS $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (TRUNCATE refused)'
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER attachment_auditevent_no_truncate
    BEFORE TRUNCATE ON attachment_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION attach_audit_no_truncate();
ALTER TABLE attachment_auditevent ENABLE ALWAYS TRIGGER attachment_auditevent_no_truncate;
"""
REVERSE = """
DROP TRIGGER IF EXISTS attachment_auditevent_no_truncate ON attachment_auditevent;
DROP FUNCTION IF EXISTS attach_audit_no_truncate();
ALTER TABLE attachment_auditevent ENABLE TRIGGER attachment_auditevent_append_only;
"""


class Migration(migrations.Migration):
    dependencies = [("attachment", "0009_matching_reasons_and_meet_notice")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
