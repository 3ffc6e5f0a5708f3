"""Nightly at 02:30 Pacific, when nobody is registering or reviewing: the coordinators find the
night's probable duplicate pairs in their queue in the morning."""

from django.db import migrations

from attachment.core.beat import BEAT, periodic_task


class Migration(migrations.Migration):
    dependencies = [
        ("linkage", "0001_initial"),
        BEAT,
    ]
    operations = [
        periodic_task(
            "Registry duplicates (probable duplicate people on the waitlist)",
            "linkage.tasks.find_registry_duplicates", crontab={"minute": "30", "hour": "2"},
        ),
    ]
