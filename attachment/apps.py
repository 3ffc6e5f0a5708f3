from django.apps import AppConfig


class AttachmentConfig(AppConfig):
    name = "attachment"
    verbose_name = "Attachment workflow"
    default_auto_field = "django.db.models.BigAutoField"
