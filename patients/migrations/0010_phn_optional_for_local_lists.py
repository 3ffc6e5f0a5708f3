# A person merged from a local waitlist may come without a valid PHN (linkage): NULL, never
# an invalid number. The check-digit CHECK lets NULL through and nothing else.

import registries.phn
from django.db import migrations, models

SQL = """
ALTER TABLE patients_patient DROP CONSTRAINT patient_phn_check_digit;
ALTER TABLE patients_patient ADD CONSTRAINT patient_phn_check_digit CHECK (phn IS NULL OR attach_phn_valid(phn));
"""
REVERSE = """
ALTER TABLE patients_patient DROP CONSTRAINT patient_phn_check_digit;
ALTER TABLE patients_patient ADD CONSTRAINT patient_phn_check_digit CHECK (attach_phn_valid(phn));
"""


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0009_identity_conflicts'),
    ]

    operations = [
        migrations.RunSQL(SQL, REVERSE),
        migrations.AlterField(
            model_name='patient',
            name='phn',
            field=models.CharField(blank=True, max_length=10, null=True, unique=True, validators=[registries.phn.validate_phn], verbose_name='Personal Health Number'),
        ),
        migrations.AlterField(
            model_name='registration',
            name='source',
            field=models.CharField(choices=[('self', 'Self-registered online'), ('staff', 'Entered by staff'), ('local_list', 'Merged from a local waitlist')], default='self', max_length=10),
        ),
    ]
