import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attachment.settings")

app = Celery("attachment")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each installed app's `tasks` module, and the workflow's (a package of the project, not an app).
app.autodiscover_tasks()
app.autodiscover_tasks(["attachment.workflow"])
