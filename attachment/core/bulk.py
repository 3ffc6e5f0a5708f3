"""Set-based inserts: many model rows in one COPY, for the bulk paths (imports, their audit events).

`copy_insert(model, objects)` writes what `bulk_create` would, at a fraction of its cost per
row: the values are read straight from the objects' attributes (Django's per-field
preparation is most of bulk_create's time on tens of thousands of rows), the whole batch is
formatted once and sent in one COPY. The objects may be model instances or any object with
the model's attribute names (`field.attname`), so a bulk path need not build a model
instance per row. Ids are drawn from the table's sequence first and set on the objects;
generated columns are left to PostgreSQL; an `auto_now_add` field left empty gets now;
foreign keys are checked at commit (Django's are deferred).
"""

from __future__ import annotations

import datetime
import io
import json

from django.db import connection, models
from django.utils import timezone

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value, field) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(field, models.JSONField):
        return json.dumps(value, cls=field.encoder).translate(_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (list, tuple)):  # ArrayField of text: an array literal, each element quoted
        inner = ",".join('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in value)
        return ("{" + inner + "}").translate(_ESCAPES)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).translate(_ESCAPES)


def copy_insert(model, objects, *, ids_drawn: bool = False) -> None:
    """INSERT `objects` into `model`'s table by one COPY. `ids_drawn`: the caller set the ids
    already (from the same sequence, `draw_ids`), to point rows at each other."""
    if not objects:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and not getattr(f, "generated", False)]
    if not ids_drawn:
        for obj, pk in zip(objects, draw_ids(model, len(objects))):
            obj.pk = obj.id = pk
    now = timezone.now()
    buffer = io.StringIO()
    for obj in objects:
        values = [str(obj.pk)]
        for f in fields:
            value = getattr(obj, f.attname)
            if value is None and getattr(f, "auto_now_add", False):
                value = now
                setattr(obj, f.attname, now)
            values.append(_text(value, f))
        buffer.write("\t".join(values))
        buffer.write("\n")
        state = getattr(obj, "_state", None)
        if state is not None:
            state.adding, state.db = False, connection.alias
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in ["id", *(f.column for f in fields)])
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        copy.write(buffer.getvalue())


def draw_ids(model, n: int) -> list[int]:
    """`n` ids from the table's own sequence, in one statement."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                       [model._meta.db_table, n])
        return [pk for (pk,) in cursor.fetchall()]
