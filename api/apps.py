from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API clients and bulk export"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # schema registers the schema's authentication extension; signals end kept tokens.
        from api import schema, signals  # noqa: F401

        signals.connect()
