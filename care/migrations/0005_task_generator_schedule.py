"""Schedule the care task generator in django-celery-beat (the schedule lives in the DB)."""

from django.db import migrations

TASK_NAME = "Care tasks due today (hospital calls, follow-ups, PVP reminders)"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # 06:15 local time, before the coordinators start, and again at 12:15 for what the
    # morning changed (a rule never makes a task twice, so the second run is cheap).
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="15", hour="6,12", day_of_week="*", day_of_month="*", month_of_year="*",
        timezone="America/Vancouver",
    )
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={
            "task": "care.tasks.make_due_tasks",
            "crontab": crontab,
            "enabled": True,
            "description": "Runs the care task rules (care/generator.py) for the whole province.",
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0004_transitions_pvp_mdt"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
