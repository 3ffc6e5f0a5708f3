"""The beat schedule lives in the database (django-celery-beat): each app adds its periodic
tasks by a data migration. This makes that migration operation, so every schedule is made
the same way: idempotent (a row per name, updated if there), removed when reversed.
"""

from django.db import migrations

# The migration of django-celery-beat a schedule migration depends on.
APP = "django_celery_beat"
BEAT = (APP, "0019_alter_periodictasks_options")
PACIFIC = "America/Vancouver"


def periodic_task(name: str, task: str, *, crontab: dict | None = None, every: int | None = None,
                  period: str = "minutes", enabled: bool = True, description: str = ""):
    """A RunPython operation scheduling `task` under `name`: on a crontab (fields not given
    are "*", the time zone Pacific unless given) or every `every` `period`s."""
    if (crontab is None) == (every is None):
        raise ValueError("give either crontab or every")

    def forwards(apps, schema_editor):
        if crontab is not None:
            fields = {"minute": "*", "hour": "*", "day_of_week": "*", "day_of_month": "*",
                      "month_of_year": "*", "timezone": PACIFIC} | crontab
            when = {"crontab": apps.get_model(APP, "CrontabSchedule").objects.get_or_create(**fields)[0]}
        else:
            when = {"interval": apps.get_model(APP, "IntervalSchedule").objects.get_or_create(
                every=every, period=period)[0]}
        defaults = {"task": task, "enabled": enabled, **when}
        if description:
            defaults["description"] = description
        apps.get_model(APP, "PeriodicTask").objects.update_or_create(name=name, defaults=defaults)

    def backwards(apps, schema_editor):
        apps.get_model(APP, "PeriodicTask").objects.filter(name=name).delete()

    return migrations.RunPython(forwards, backwards)
