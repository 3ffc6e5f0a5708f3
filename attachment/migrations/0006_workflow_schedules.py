from django.db import migrations

SCHEDULES = [
    # (name, task, crontab fields, enabled)
    ("Expire unanswered offers", "attachment.tasks.expire_offers",
     {"minute": "15", "hour": "*"}, True),
    ("Recompute providers' open capacity", "attachment.tasks.refresh_capacity",
     {"minute": "30", "hour": "2"}, True),
    # Coordinators start runs from the browser; a region-wide nightly run is there for
    # health authorities that want one, switched on in the admin.
    ("Region-wide matching run", "attachment.tasks.scheduled_matching",
     {"minute": "0", "hour": "3"}, False),
]


def create_schedules(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, fields, enabled in SCHEDULES:
        schedule, _ = CrontabSchedule.objects.get_or_create(
            minute=fields["minute"], hour=fields["hour"], day_of_week="*", day_of_month="*",
            month_of_year="*", timezone="America/Vancouver",
        )
        PeriodicTask.objects.update_or_create(
            name=name, defaults={"task": task, "crontab": schedule, "enabled": enabled}
        )


def remove_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[s[0] for s in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("attachment", "0005_workflow"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create_schedules, remove_schedules)]
