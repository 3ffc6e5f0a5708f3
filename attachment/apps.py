from django.apps import AppConfig


class AttachmentConfig(AppConfig):
    name = "attachment"
    verbose_name = "Attachment workflow"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from attachment.jobs import job_interrupted
        from attachment.matching.db import run_interrupted

        job_interrupted.connect(run_interrupted, dispatch_uid="attachment.run_interrupted")
