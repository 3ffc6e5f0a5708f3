"""Waitlist reminders, daily at 09:00 Pacific: each run sends only to households whose interval
has come round, so daily runs spread the reminders evenly instead of once a quarter in bulk."""

from django.db import migrations

from attachment.core.beat import BEAT, periodic_task


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0004_hcr_contact_notes_and_search_indexes"),
        BEAT,
    ]
    operations = [
        periodic_task(
            "Waitlist reminders (still waiting, how to update details)", "patients.tasks.send_reminders",
            crontab={"minute": "0", "hour": "9"},
        ),
    ]
