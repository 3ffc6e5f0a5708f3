"""Schedule the care task generator: 06:15 Pacific, before the coordinators start, and again at
12:15 for what the morning changed (a rule never makes a task twice, so the second run is cheap)."""

from django.db import migrations

from attachment.core.beat import BEAT, periodic_task


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0004_transitions_pvp_mdt"),
        BEAT,
    ]
    operations = [
        periodic_task(
            "Care tasks due today (hospital calls, follow-ups, PVP reminders)", "care.tasks.make_due_tasks",
            crontab={"minute": "15", "hour": "6,12"},
            description="Runs the care task rules (care/generator.py) for the whole province.",
        ),
    ]
