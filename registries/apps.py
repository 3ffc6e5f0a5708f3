from django.apps import AppConfig


class RegistriesConfig(AppConfig):
    name = "registries"
    verbose_name = "Panel Registry and geography"
    default_auto_field = "django.db.models.BigAutoField"
