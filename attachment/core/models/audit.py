from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """Who saw or changed which record, when, from where, and why.

    Written only by `attachment.audit.record`; the database refuses UPDATE and DELETE
    on this table (trigger in migration 0002), so the app cannot edit history.
    """

    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        CREATE = "create", "Created"
        UPDATE = "update", "Changed"
        STATUS = "status", "Status changed"
        EXPORT = "export", "Exported"
        SEARCH = "search", "Searched"
        DELEGATION = "delegation", "Delegation"
        ATTACH = "attach", "Attached"
        LOGIN = "login", "Logged in"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    action = models.CharField(max_length=12, choices=Action.choices)
    # The record, by model label and primary key, so one table covers every kind of record.
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    summary = models.CharField(max_length=300, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        app_label = "attachment"
        ordering = ["-at"]
        indexes = [models.Index(fields=["object_type", "object_id", "-at"], name="audit_by_object")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.object_type}#{self.object_id}"
