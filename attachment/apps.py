from django.apps import AppConfig


class AttachmentConfig(AppConfig):
    name = "attachment"
    verbose_name = "Attachment workflow"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The project wires the core's signals to the apps that own the jobs: the core
        # knows no app, and registries' base imports no other app.
        from attachment.core.jobs import job_interrupted
        from attachment.matching.db import run_interrupted
        from registries.panels.uploads import load_interrupted

        job_interrupted.connect(run_interrupted, dispatch_uid="attachment.run_interrupted")
        job_interrupted.connect(load_interrupted, dispatch_uid="registries.load_interrupted")
