"""Every 15 minutes, delete the bulk export files whose time is up."""

from django.db import migrations

from attachment.core.beat import BEAT, periodic_task


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
        BEAT,
    ]
    operations = [
        periodic_task("Delete expired bulk export files", "api.bulk_expire", every=15, period="minutes"),
    ]
