"""Attach's PostgreSQL backend (attachment/core/postgresql) and its prepared statements
(attachment/core/prepared.py), against the real server."""

import time

import pytest
from django.db import connection, connections

from attachment.core import prepared
from attachment.core.postgresql import base

pytestmark = pytest.mark.django_db


@pytest.fixture
def second():
    """A connection of its own, as a web worker holds one across requests."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def asked(wrapper, monkeypatch) -> list:
    calls = []
    real = base.DatabaseWrapper.is_usable
    monkeypatch.setattr(base.DatabaseWrapper, "is_usable", lambda self: calls.append(1) or real(self))
    return calls


def test_a_live_idle_connection_is_used_without_a_round_trip(second, monkeypatch):
    assert second.health_check_enabled
    calls = asked(second, monkeypatch)
    second.health_check_done = False  # a new request
    with second.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert calls == [] and second.health_check_done


def test_a_connection_the_server_dropped_is_replaced_before_the_request_uses_it(second, monkeypatch):
    pid = second.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while base._untouched(second.connection) and time.monotonic() < deadline:
        time.sleep(0.01)  # the server's goodbye reaches the socket
    calls = asked(second, monkeypatch)
    second.health_check_done = False
    with second.cursor() as cursor:  # no error: the dead connection was closed and a new one made
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
    assert calls == [1]


def test_a_connection_in_a_transaction_is_not_taken_as_idle(second):
    second.connection.execute("BEGIN")
    assert not base._untouched(second.connection)
    second.connection.execute("ROLLBACK")
    assert base._untouched(second.connection)


@pytest.mark.django_db(transaction=True)
def test_a_prepared_statement_runs_on_its_generic_plan_and_leaves_the_session_as_it_was():
    statement = "SELECT count(*) FROM auth_user WHERE id > %s"
    for n in range(3):
        assert prepared.fetch_all(statement, [n - 10]) == [(0,)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
                       ["SELECT count(*) FROM auth_user WHERE id > $1%"])
        assert cursor.fetchall() == [(3, 0)]
        cursor.execute("SHOW plan_cache_mode")  # local to the statement's own transaction
        assert cursor.fetchone() == ("auto",)


def test_a_bad_statement_is_djangos_error_and_the_connection_goes_on():
    from django.db import ProgrammingError, transaction

    with pytest.raises(ProgrammingError), transaction.atomic():
        prepared.fetch_all("SELECT no_such_column FROM auth_user WHERE id = %s", [1])
    assert prepared.fetch_all("SELECT %s::int + 1", [1]) == [(2,)]


def test_prepared_statements_can_be_turned_off(settings, monkeypatch):
    # DB_PREPARED_STATEMENTS=0: psycopg's threshold None; the statement runs unprepared.
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)
    assert prepared.fetch_all("SELECT %s::int * 2 AS unprepared_double", [21]) == [(42,)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                       ["%unprepared_double%"])
        assert cursor.fetchone() == (0,)
