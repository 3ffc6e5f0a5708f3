import django.db.models.deletion
from django.db import migrations, models

# PanelEntry.patient loses its full index: one_open_panel_entry_per_patient (open entries)
# serves every look-up by patient, and each upload row paid for one more index insert.
# The index is dropped by name: Django's own AlterField picks the index to drop by
# introspection and can take the partial unique one on the same column instead.
DROP = "DROP INDEX IF EXISTS registries_panelentry_patient_id_f8664c25"
CREATE = "CREATE INDEX IF NOT EXISTS registries_panelentry_patient_id_f8664c25 ON registries_panelentry (patient_id)"


class Migration(migrations.Migration):
    dependencies = [("registries", "0004_panel_entry_index_hygiene")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="panelentry",
                    name="patient",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="panel_entries",
                        to="patients.patient",
                    ),
                ),
            ],
            database_operations=[migrations.RunSQL(DROP, CREATE)],
        ),
    ]
