# Production-like image of Attach. One image serves the web (gunicorn), the Celery
# worker and Celery beat; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=attachment.settings

WORKDIR /app

# Dependencies first, from pyproject.toml alone: this layer is rebuilt only when the
# dependencies change, not on every code change.
COPY pyproject.toml ./
RUN pip install .

COPY . .

# The public side's message catalogues, compiled (Python alone: the slim image has no msgfmt).
RUN python scripts/compilemessages.py

# Static files are collected at build time (whitenoise serves them, hashed and
# compressed); the key is a placeholder because nothing is signed here.
RUN SECRET_KEY=collectstatic-only DEBUG=0 python manage.py collectstatic --noinput -v 0

# Never run the app as root; uploads go to a volume the app user owns.
RUN useradd --system --uid 10001 --no-create-home attach \
    && mkdir -p /data/media && chown attach /data/media
ENV MEDIA_ROOT=/data/media
USER attach

EXPOSE 8000
# gunicorn believes X-Forwarded-Proto only from FORWARDED_ALLOW_IPS (default 127.0.0.1): set it to the proxy.
CMD ["gunicorn", "attachment.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
