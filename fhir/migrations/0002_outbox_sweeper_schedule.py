"""Every minute, queue the EMR handoff deliveries whose queue message was lost."""

from django.db import migrations

from attachment.core.beat import BEAT, periodic_task


class Migration(migrations.Migration):
    dependencies = [
        ("fhir", "0001_initial"),
        BEAT,
    ]
    operations = [
        periodic_task("Queue EMR handoff deliveries nobody picked up", "fhir.sweep_outbox", every=1, period="minutes"),
    ]
