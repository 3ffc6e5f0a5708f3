from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "care"
    verbose_name = "Care coordination"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from care import signals  # noqa: F401  (a coordinator who leaves a PCN: care/staffing.py)
