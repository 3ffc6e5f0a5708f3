from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "care"
    verbose_name = "Care coordination"
    default_auto_field = "django.db.models.BigAutoField"
