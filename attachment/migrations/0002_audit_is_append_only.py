from django.db import migrations

# History that the application itself could rewrite would prove nothing.
SQL = """
CREATE OR REPLACE FUNCTION attach_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER attachment_auditevent_append_only
    BEFORE UPDATE OR DELETE ON attachment_auditevent
    FOR EACH ROW EXECUTE FUNCTION attach_audit_append_only();
"""
REVERSE = """
DROP TRIGGER IF EXISTS attachment_auditevent_append_only ON attachment_auditevent;
DROP FUNCTION IF EXISTS attach_audit_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("attachment", "0001_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
