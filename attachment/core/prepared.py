"""Statements PostgreSQL parses and plans once per connection, for what systems poll.

Django prepares no statement of its own (psycopg's prepare_threshold is None unless the
settings give one). Attach's settings set the threshold out of reach
(`DB_PREPARED_STATEMENTS`, on by default), so psycopg prepares only what is asked for
explicitly: a statement run here. PostgreSQL then plans it generically, once, for this
statement alone (`plan_cache_mode`, set local to the statement's own implicit
transaction, sent with it in one round trip through a pipeline). Left to choose
(plan_cache_mode auto), it re-plans a statement each time whose generic plan it
estimates a little dearer, as for the API's panel page of a large panel: planning it
cost PostgreSQL more than running it.

Behind a pooler that cannot keep prepared statements (PgBouncer before 1.21 in
transaction mode), set `DB_PREPARED_STATEMENTS=0`: the statement then runs unprepared,
planned each time, with the same result.
"""

from __future__ import annotations

import contextlib

import psycopg
from django.db import connection

# set_config(..., is_local): until the end of the transaction, here the statement's own
# (implicit, in autocommit); SET LOCAL would warn outside a transaction block.
GENERIC_PLAN = "SELECT set_config('plan_cache_mode', 'force_generic_plan', true)"


def fetch_all(statement: str, params) -> list[tuple]:
    """The rows of `statement` (%s placeholders, bound by the server), prepared once on this
    connection and run on its generic plan."""
    # Django's cursor: its health check, connection and error wrapping (a broken
    # connection is then closed at the request's end, as for any query), and its query log.
    with connection.cursor() as django_cursor:
        raw = django_cursor.cursor.connection
        logged = django_cursor.debug_sql(statement, params) if hasattr(django_cursor, "debug_sql") \
            else contextlib.nullcontext()
        with logged, connection.wrap_database_errors, raw.pipeline(), psycopg.Cursor(raw) as cursor:
            cursor.execute(GENERIC_PLAN)
            cursor.execute(statement, params, prepare=True)
            return cursor.fetchall()
