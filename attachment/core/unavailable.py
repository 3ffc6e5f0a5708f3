"""When Redis (Celery's broker and the cache) is out of reach.

One rule for the whole site:

* Queueing a task goes through `enqueue` / `enqueue_on_commit`. A broker that cannot
  be reached raises `BackgroundUnavailable` within a second or two (the retry policies
  in settings), after the caller's `on_failure` has marked its job failed with a message
  a person can read, so nothing waits "queued" for a worker that will never see it.
* `UnavailableMiddleware` turns `BackgroundUnavailable`, and any Redis connection error
  a view lets out, into our own 503 page ("try again later"), never a 500.
* The default cache (`FallbackRedisCache`) keeps answering from this process's memory
  while Redis is down: progress bars, cached report figures, and allauth's login
  limits, which then still count, per process, so staff can log in. The public
  look-ups' limits use the strict `ratelimit` cache (RATELIMIT_USE_CACHE) instead: with
  Redis down they refuse, politely, with the 503 page, rather than allow unlimited
  guesses.
"""

from __future__ import annotations

import logging
import time

import redis.exceptions
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from django.shortcuts import render
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class BackgroundUnavailable(Exception):
    """The background service (Redis, Celery's broker) cannot be reached; str() is for people."""

    def __init__(self, message: str = "The background service is not available right now."):
        super().__init__(message)


def enqueue(task, *args, on_failure=None, **options):
    """`task.apply_async(args, **options)`, or BackgroundUnavailable once `on_failure()` ran."""
    try:
        return task.apply_async(args, **options)
    # The broker raises OperationalError; the Redis result store, which apply_async
    # subscribes to, raises RuntimeError ("Retry limit exceeded ...") once its retries are spent.
    except (OperationalError, *REDIS_DOWN, OSError, RuntimeError) as exc:
        logger.warning("could not queue %s%r: %s", task.name, args, exc)
        if on_failure is not None:
            on_failure()
        raise BackgroundUnavailable() from exc


def enqueue_on_commit(task, *args, on_failure, **options) -> None:
    """Queue `task` once the current transaction commits (so the worker finds its rows);
    when that fails, `on_failure()` runs in a transaction of its own and the request
    answers 503."""

    def send():
        enqueue(task, *args, on_failure=lambda: transaction.atomic(on_failure)(), **options)

    transaction.on_commit(send)


class UnavailableMiddleware:
    """Our 503 page for a view that needed Redis while it was out of reach."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (BackgroundUnavailable, *REDIS_DOWN, OperationalError)):
            return None
        if not isinstance(exception, BackgroundUnavailable):
            logger.warning("Redis unreachable during %s %s: %s", request.method, request.path, exception)
        response = render(request, "503.html", status=503)
        response["Retry-After"] = "120"
        return response


class FallbackRedisCache(RedisCache):
    """Redis, or while Redis cannot be reached, this process's memory (see the module's doc).

    After a failure Redis is not asked again for RETRY_SECONDS, so a host that swallows
    packets costs one connect timeout, not one per cache call."""

    RETRY_SECONDS = 10

    def __init__(self, server, params):
        super().__init__(server, params)
        self._local = LocMemCache(f"attach-fallback-{id(self)}", {"TIMEOUT": params.get("TIMEOUT", 300)})
        self._down_until = 0.0


def _falls_back(name):
    def method(self, *args, **kwargs):
        if time.monotonic() >= self._down_until:
            try:
                return getattr(RedisCache, name)(self, *args, **kwargs)
            except REDIS_DOWN as exc:
                self._down_until = time.monotonic() + self.RETRY_SECONDS
                logger.warning("cache: Redis unreachable (%s); using this process's memory for %ss",
                               exc, self.RETRY_SECONDS)
        return getattr(self._local, name)(*args, **kwargs)

    method.__name__ = name
    return method


for _name in ("add", "get", "set", "touch", "delete", "get_many", "has_key", "incr",
              "set_many", "delete_many", "clear"):
    setattr(FallbackRedisCache, _name, _falls_back(_name))
