from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Aggregate reports"
    default_auto_field = "django.db.models.BigAutoField"
