#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attachment.settings")
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except Exception as exc:  # only the "a server is not there" kinds are turned into one line
        message = unreachable_service_message(exc)
        if message is None:
            raise
        print(message, file=sys.stderr)
        sys.exit(2)


def unreachable_service_message(exc):
    """One line naming what is missing and how to provide it, for a server that is down."""
    from django.db.utils import OperationalError

    if isinstance(exc, OperationalError):
        from django.conf import settings

        db = settings.DATABASES["default"]
        where = f"{db.get('HOST') or 'local socket'}:{db.get('PORT') or 5432}/{db.get('NAME')}"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return (f"attach: cannot reach PostgreSQL at {where} ({reason}). "
                "Start PostgreSQL or set DATABASE_URL (make run starts one for you).")
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
    except ImportError:  # pragma: no cover
        return None
    if isinstance(exc, RedisConnectionError):
        return (f"attach: cannot reach Redis at {os.environ.get('REDIS_URL', 'redis://127.0.0.1:6379/0')} ({exc}). "
                "Start Redis or set REDIS_URL (make run starts one for you).")
    return None


if __name__ == "__main__":
    main()
