"""The one way an audit record is written."""

from django.db import models

from attachment.core.models import AuditEvent


def client_ip(request) -> str | None:
    if request is None:
        return None
    # Behind the production proxy the first X-Forwarded-For hop is the client.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR") or None


def record(
    *,
    user,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    request=None,
    summary: str = "",
    reason: str = "",
    changes: dict | None = None,
) -> AuditEvent:
    """Write one audit event for a view or change of `obj` (or of object_type/object_id)."""
    if obj is not None:
        object_type = obj._meta.label
        object_id = str(obj.pk)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return AuditEvent.objects.create(
        user=user,
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary[:300],
        reason=reason[:300],
        changes=changes or {},
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""),
    )


def diff(instance: models.Model, before: dict, fields) -> dict:
    """{field: [old, new]} for the fields whose value changed since `before` was taken."""
    changes = {}
    for name in fields:
        old, new = before.get(name), getattr(instance, name)
        if old != new:
            changes[name] = [_plain(old), _plain(new)]
    return changes


def snapshot(instance: models.Model, fields) -> dict:
    return {name: getattr(instance, name) for name in fields}


def _plain(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)
