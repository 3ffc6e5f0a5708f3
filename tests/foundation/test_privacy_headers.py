"""Headers that keep personal pages out of shared browsers' caches and lock the pages down."""

import datetime

import pytest
from django.urls import reverse

from tests.conftest import login
from tests.factories import household

pytestmark = pytest.mark.django_db


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_a_personal_page_of_a_signed_in_user_is_not_stored(client, coordinator):
    registration = household(1)
    login(client, coordinator)
    for url in (reverse("patients:waitlist"), reverse("patients:registration", args=[registration.pk])):
        response = client.get(url)
        assert response.status_code in (200, 404) and no_store(response) and "private" in response["Cache-Control"]


def test_public_lookups_and_registration_are_not_stored(client, settings):
    settings.ATTACH_LOOKUP_MIN_SECONDS = 0
    client.defaults["REMOTE_ADDR"] = "10.66.6.6"
    registration = household(1)
    answers = [
        client.post(reverse("patients:status"),
                    {"reference_code": registration.reference_code, "date_of_birth": "1980-05-17"}),
        client.get(reverse("patients:status")),
        client.get(reverse("patients:register")),
        client.get(reverse("offer:respond", args=[registration.reference_code])),
        client.post(reverse("offer:respond", args=[registration.reference_code]),
                    {"reference_code": registration.reference_code, "date_of_birth": str(datetime.date(1999, 1, 1))}),
    ]
    assert all(no_store(a) for a in answers), [a.get("Cache-Control") for a in answers]


def test_an_anonymous_static_page_may_be_cached(client):
    assert not no_store(client.get(reverse("healthz")))


@pytest.mark.parametrize("who", ["public", "coordinator"])
def test_a_strict_content_security_policy_and_a_permissions_policy(client, coordinator, who):
    if who == "coordinator":
        login(client, coordinator)
    response = client.get(reverse("patients:waitlist") if who == "coordinator" else reverse("patients:status"))
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";") if part.strip())
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]


def test_no_template_has_inline_scripts_styles_or_handlers():
    """What the policy would block: caught here, before a browser journey meets it."""
    import re
    from pathlib import Path

    offenders = []
    for path in Path("templates").rglob("*.html"):
        html = path.read_text()
        for pattern in (r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", r"<style\b", r"\sstyle=\"",
                        r"\son[a-z]+=\""):
            offenders += [f"{path}: {m.group(0)}" for m in re.finditer(pattern, html)]
    assert offenders == []
