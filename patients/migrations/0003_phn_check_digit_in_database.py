from django.db import migrations

# The same rule as registries.phn, enforced by PostgreSQL so that no path (COPY, raw SQL,
# a bug) can store an impossible PHN.
SQL = """
CREATE OR REPLACE FUNCTION attach_phn_valid(phn text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT phn ~ '^9[0-9]{9}$' AND (
    SELECT CASE WHEN r < 2 THEN false ELSE 11 - r = substr(phn, 10, 1)::int END
    FROM (SELECT (substr(phn,2,1)::int*2 + substr(phn,3,1)::int*4 + substr(phn,4,1)::int*8
                 + substr(phn,5,1)::int*5 + substr(phn,6,1)::int*10 + substr(phn,7,1)::int*9
                 + substr(phn,8,1)::int*7 + substr(phn,9,1)::int*3) % 11 AS r) AS w
  )
$$;
ALTER TABLE patients_patient ADD CONSTRAINT patient_phn_check_digit CHECK (attach_phn_valid(phn));
"""
REVERSE = """
ALTER TABLE patients_patient DROP CONSTRAINT IF EXISTS patient_phn_check_digit;
DROP FUNCTION IF EXISTS attach_phn_valid(text);
"""


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
