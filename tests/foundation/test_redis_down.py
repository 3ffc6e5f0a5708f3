"""With Redis out of reach (a real URL on a closed port, no mock): each page either works
or answers our own 503 page in plain words, fast, and no job is left queued for a worker
that will never see it."""

import time

import pytest
from django.urls import reverse

from attachment.celery import app
from attachment.workflow.models import MatchRun
from registries.models import PanelUpload
from registries.panels import uploads as panel_services
from tests.conftest import PASSWORD, login
from tests.factories import UserFactory
from tests.registries.conftest import good_rows, panel_csv, phn_list

NOWHERE = "redis://127.0.0.1:1/0"
PLAIN_WORDS = "Please try again later"


def _celery_to(broker, backend):
    """Point the Celery app at other URLs: a fresh connection pool, producer pool and
    result store, built from them on next use. The old pool is left open: kombu's global
    producer pools may still hand it out once the URLs are back."""
    app.conf.broker_url, app.conf.result_backend = broker, backend
    app.conf.broker_write_url = None
    app._pool = None
    app.amqp._producer_pool = None
    app._local.__dict__.pop("backend", None)


@pytest.fixture
def redis_down(settings):
    caches = {alias: {**cfg, "LOCATION": NOWHERE} for alias, cfg in settings.CACHES.items()}
    settings.CACHES = caches
    old = (app.conf.broker_url, app.conf.result_backend)
    _celery_to(NOWHERE, NOWHERE)
    yield
    _celery_to(*old)


def unavailable(response):
    page = response.content.decode()
    return response.status_code == 503 and PLAIN_WORDS in page and "Traceback" not in page


@pytest.mark.django_db(transaction=True)
def test_every_page_works_or_says_plainly_that_the_background_service_is_down(
    client, redis_down, coordinator, manager, moa, provider, thompson
):
    # Staff log in (allauth's limits count in the process's memory meanwhile).
    UserFactory(username="someone", password=PASSWORD)
    response = client.post(reverse("account_login"), {"login": "someone", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    client.logout()

    # The public look-ups' limits cannot be checked: refused, politely.
    response = client.post(reverse("patients:status"), {"reference_code": "ACDEFGHJ", "date_of_birth": "1980-01-01"})
    assert unavailable(response)
    response = client.post(reverse("offer:respond", args=["ACDEFGHJ"]),
                           {"reference_code": "ACDEFGHJ", "date_of_birth": "1980-01-01"})
    assert unavailable(response)
    assert client.get(reverse("offer:respond", args=["ACDEFGHJ"])).status_code == 200

    # Reports and the upload report read caches that may be empty.
    assert login(client, manager).get(reverse("reports:dashboard")).status_code == 200
    upload = panel_services.create_upload(provider, data=panel_csv(good_rows(phn_list(2))), file_name="p.csv")
    login(client, moa)
    assert client.get(reverse("registries:upload", args=[upload.pk])).status_code == 200

    # Loading the panel cannot be queued: 503, and the upload says why instead of "loading".
    started = time.monotonic()
    response = client.post(reverse("registries:upload_load", args=[upload.pk]))
    assert unavailable(response) and time.monotonic() - started < 5
    upload.refresh_from_db()
    assert upload.status == PanelUpload.Status.FAILED and "background service was unavailable" in upload.error
    assert client.get(reverse("registries:upload", args=[upload.pk])).status_code == 200

    # A matching run likewise: not left queued for ever.
    login(client, coordinator)
    started = time.monotonic()
    response = client.post(reverse("workflow:runs"), {"division": thompson.pk})
    assert unavailable(response) and time.monotonic() - started < 5
    run = MatchRun.objects.get()
    assert run.status == MatchRun.Status.FAILED and "Start the run again" in run.error
    assert client.get(reverse("workflow:run", args=[run.pk])).status_code == 200

    assert not MatchRun.objects.filter(status=MatchRun.Status.QUEUED).exists()
    assert not PanelUpload.objects.filter(status=PanelUpload.Status.LOADING).exists()
