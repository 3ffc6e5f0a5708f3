"""Django's PostgreSQL backend, with a health check that needs no round trip while the
connection is plainly alive.

With CONN_HEALTH_CHECKS Django sends `SELECT 1` before a persistent connection's first
query in each request, so that a connection the server dropped (a restart, a failover,
an idle timeout) is replaced instead of failing the request. A server that drops a
connection says so on its socket, with a last message or the end of the stream: an idle
connection with nothing to read was not dropped, and is used as it is. Only one with
something to read is asked `SELECT 1` (and replaced if it fails). What neither check
can see, a network gone silent, fails the request as it did, and Django closes the
connection after it. Every page that reads the database saves the round trip.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self):
        if (self.connection is not None and self.health_check_enabled and not self.health_check_done
                and not self.pool and _untouched(self.connection)):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()


def _untouched(connection) -> bool:
    """Idle, open, and nothing from the server waiting on the socket."""
    if connection.closed or connection.info.transaction_status != pq.TransactionStatus.IDLE:
        return False
    poller = select.poll()
    try:
        poller.register(connection.fileno(), select.POLLIN)
        return not poller.poll(0)
    except (OSError, ValueError):
        return False
