"""Errors show Attach's own pages (plain words, the site's frame, a way home), DEBUG off."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import path

from attachment.core.unavailable import BackgroundUnavailable
from attachment.urls import urlpatterns as site


def forbidden(request):
    raise PermissionDenied


def broken(request):
    raise ZeroDivisionError("a bug")


def queue_down(request):
    raise BackgroundUnavailable()


urlpatterns = [path("t/403/", forbidden), path("t/500/", broken), path("t/503/", queue_down), *site]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.mark.parametrize("url, status, words", [
    ("/no-such-page/", 404, "Page not found"),
    ("/t/403/", 403, "You cannot open this page"),
    ("/t/500/", 500, "Something went wrong on our side"),
    ("/t/503/", 503, "Please try again later"),
])
def test_error_pages_are_our_own(client, settings, url, status, words):
    settings.DEBUG = False
    client.raise_request_exception = False
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == status
    assert words in page and 'href="/"' in page and "Health Connect Registry" in page  # base.html
    assert "Traceback" not in page and "a bug" not in page and "URLconf" not in page
