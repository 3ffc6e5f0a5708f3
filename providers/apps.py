from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = "Clinic and Provider Registry"
    default_auto_field = "django.db.models.BigAutoField"
