"""The one way an audit record is written, and the Actor it names.

An `Actor` is who did something and from where: the user (or nobody, for the public),
the client address and user agent of the request, and for work done off a request (a
Celery task, a command) what ran it. It is made once per request by `ActorMiddleware`
(`request.actor`) or once per task, and services take it instead of the HTTP request.
A system calling the API with an OAuth token is named by its client application in
`via` ("API client <name>"), so every event it causes says which system it was.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.db import connection, models
from django.utils import timezone
from psycopg.types.json import Jsonb

from attachment.core.http import client_address
from attachment.core.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    user: object = None
    ip_address: str | None = None
    user_agent: str = ""
    via: str = ""

    @classmethod
    def from_request(cls, request) -> Actor:
        user = getattr(request, "user", None)
        return cls(
            user=user,
            ip_address=client_address(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            via=client_via(getattr(request, "auth", None)),
        )

    @classmethod
    def task(cls, name: str, user=None) -> Actor:
        """Work done by a background job (on behalf of `user`, when a person asked for it)."""
        return cls(user=user, via=f"task {name}")

    @property
    def authenticated_user(self):
        user = self.user
        return user if user is not None and getattr(user, "is_authenticated", False) else None


def client_via(auth) -> str:
    """How the trail names a system: the OAuth client application of a DRF request's token."""
    application = getattr(auth, "application", None)
    return f"API client {application.name}" if application is not None else ""


def event_values(
    *,
    user=None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    actor: Actor | None = None,
    summary: str = "",
    reason: str = "",
    changes: dict | None = None,
) -> dict:
    """One audit event's fields, as `record` writes them: `user` defaults to the actor's;
    the address and user agent come from the actor, and the system it came through (`via`)
    ends the summary."""
    if obj is not None:
        object_type = obj._meta.label
        object_id = str(obj.pk)
    if user is None and actor is not None:
        user = actor.user
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if actor is not None and actor.via:
        summary = f"{summary} ({actor.via})" if summary else actor.via
    return {
        "at": timezone.now(), "user": user, "action": action, "object_type": object_type, "object_id": object_id,
        "summary": summary[:300], "reason": reason[:300], "changes": changes or {},
        "ip_address": actor.ip_address if actor is not None else None,
        "user_agent": actor.user_agent if actor is not None else "",
    }


def record(**event) -> AuditEvent:
    """Write one audit event for a view or change of `obj` (or of object_type/object_id):
    event_values' keywords."""
    return _insert(event_values(**event))


_FIELDS = ("at", "user", "action", "object_type", "object_id", "summary", "reason", "changes", "ip_address",
           "user_agent")
COUNT = "{count}"  # where insert_sql's count goes in a summary


@functools.cache
def _columns() -> tuple[tuple, str]:
    fields = tuple(AuditEvent._meta.get_field(name) for name in _FIELDS)
    return fields, ", ".join(connection.ops.quote_name(f.column) for f in fields)


def _params(values: dict) -> list:
    """event_values as the INSERT's parameters, in _FIELDS' order, without a model or the
    fields' own conversions (each page read writes one): the user by its key, the changes
    as JSON, no address as NULL; the column types do the rest."""
    user = values["user"]
    converted = {"user": user.pk if user is not None else None, "changes": Jsonb(values["changes"]),
                 "ip_address": values["ip_address"] or None}
    return [converted[name] if name in converted else values[name] for name in _FIELDS]


@functools.cache
def _insert_statement() -> str:
    fields, columns = _columns()
    return (f"INSERT INTO {connection.ops.quote_name(AuditEvent._meta.db_table)} ({columns}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {connection.ops.quote_name('id')}")


def _insert(values: dict) -> AuditEvent:
    """One INSERT of a statement built once: an event is written for every page a person or
    a system reads, the API's busiest page included, and the ORM's insert cost more than
    the page's own read."""
    with connection.cursor() as cursor:
        cursor.execute(_insert_statement(), _params(values))
        event = AuditEvent(pk=cursor.fetchone()[0], **values)
    event._state.adding, event._state.db = False, connection.alias
    return event


@functools.lru_cache(maxsize=64)
def _insert_select(count_sql: str) -> str:
    fields, columns = _columns()
    selected = [f"CAST(left(concat(%s::text, ({count_sql}), %s::text), {f.max_length}) AS {f.db_type(connection)})"
                if f.name == "summary" else f"CAST(%s AS {f.db_type(connection)})" for f in fields]
    return f"INSERT INTO {connection.ops.quote_name(AuditEvent._meta.db_table)} ({columns}) SELECT {', '.join(selected)}"


def insert_sql(values: dict, *, count_sql: str) -> tuple[str, list]:
    """An event (event_values) as `INSERT INTO ... SELECT <its fields>`, SQL and parameters,
    for a read that records itself in the same statement (a data-modifying CTE, the caller
    appending the read's scope as `WHERE`): the read and its audit row commit together or
    not at all, in one round trip. The summary's first "{count}" becomes the value of
    `count_sql`, an SQL expression (how many records the read returned); the rest of the
    summary stays text, whatever it holds."""
    params = _params(values)
    summary = _FIELDS.index("summary")
    before, _, after = values["summary"].partition(COUNT)
    params[summary:summary + 1] = [before, after]
    return _insert_select(count_sql), params


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


def record_many(events, *, actor: Actor | None = None) -> int:
    """Write many audit events in one COPY (a bulk import's per-record events).

    `events` are dicts of `record`'s keyword arguments (action, obj or object_type and
    object_id, summary, reason, changes); the user, address and user agent are the actor's.
    """
    user = actor.authenticated_user if actor is not None else None
    rows = []
    for e in events:
        obj = e.get("obj")
        summary = e.get("summary", "")
        if actor is not None and actor.via:
            summary = f"{summary} ({actor.via})" if summary else actor.via
        rows.append(AuditEvent(
            user=user, action=e["action"],
            object_type=obj._meta.label if obj is not None else e.get("object_type", ""),
            object_id=str(obj.pk) if obj is not None else str(e.get("object_id", "")),
            summary=summary[:300], reason=e.get("reason", "")[:300], changes=e.get("changes") or {},
            ip_address=actor.ip_address if actor is not None else None,
            user_agent=actor.user_agent if actor is not None else "",
        ))
    from attachment.core.bulk import copy_insert

    copy_insert(AuditEvent, rows)
    return len(rows)
