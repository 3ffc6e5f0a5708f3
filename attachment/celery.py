import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attachment.settings")

app = Celery("attachment")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each installed app's `tasks` module, and those of packages that are not apps of their own.
app.autodiscover_tasks()
app.autodiscover_tasks(["attachment.workflow", "registries.panels", "api.bulk"])
