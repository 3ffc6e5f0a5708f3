"""The nightly report snapshots at 02:30 Pacific: after the day's activity, before managers start work."""

from django.db import migrations

from attachment.core.beat import BEAT, periodic_task


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        BEAT,
    ]
    operations = [
        periodic_task(
            "Nightly report snapshots (all divisions)", "reports.tasks.build_all_snapshots",
            crontab={"minute": "30", "hour": "2"},
            description="Builds one aggregate snapshot per division; dashboards read these.",
        ),
    ]
