from django.apps import AppConfig


class RegistriesConfig(AppConfig):
    name = "registries"
    verbose_name = "Panel Registry and geography"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from attachment.jobs import job_interrupted
        from registries import services

        job_interrupted.connect(services.load_interrupted, dispatch_uid="registries.load_interrupted")
