"""The honest status: the household's wait beside how long people attached in its community in
the last 12 months had waited (median, 90th percentile), withheld for fewer than 10 people."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import Registration
from reports import waits
from tests.factories import community, household

pytestmark = pytest.mark.django_db
DOB = datetime.date(1980, 5, 17)


def attached(place, waited_days, size=1, ago_days=10):
    registration = household(size, community=place)
    now = timezone.now()
    Registration.objects.filter(pk=registration.pk).update(
        status="attached", status_changed_at=now - datetime.timedelta(days=ago_days),
        registered_at=now - datetime.timedelta(days=ago_days + waited_days))
    return registration


def test_the_community_waits_are_the_percentiles_of_people_attached_in_twelve_months():
    kamloops = community("Kamloops")
    for days in range(10, 110, 10):  # 10 people: 10, 20, ..., 100 days
        attached(kamloops, days)
    attached(kamloops, 999, ago_days=400)  # attached more than 12 months ago: not counted
    result = waits.attached_waits(kamloops.pk)
    assert result.people == 10 and result.median_days == 55 and result.p90_days == 91  # percentile_cont


def test_a_household_of_three_counts_three_people():
    kamloops = community("Kamloops")
    for days in (10, 20, 30):
        attached(kamloops, days, size=3)
    attached(kamloops, 400)
    result = waits.attached_waits(kamloops.pk)
    assert result.people == 10 and result.median_days == 20


def test_fewer_than_ten_people_publish_nothing(client, settings):
    settings.ATTACH_LOOKUP_MIN_SECONDS = 0
    kamloops = community("Kamloops")
    for days in range(9):
        attached(kamloops, 30 + days)
    result = waits.attached_waits(kamloops.pk)
    assert (result.people, result.median_days, result.p90_days) == ("<10", None, None)
    mine = household(1, community=kamloops)
    page = client.post(reverse("patients:status"), {"reference_code": mine.reference_code,
                                                    "date_of_birth": str(DOB)}).content.decode()
    assert "Your household has waited 30 days" in page and "Too few people in Kamloops" in page


def test_the_status_page_shows_the_households_wait_beside_its_communitys(client, settings):
    settings.ATTACH_LOOKUP_MIN_SECONDS = 0
    kamloops = community("Kamloops")
    for days in range(10, 110, 10):
        attached(kamloops, days)
    mine = household(1, community=kamloops)
    page = client.post(reverse("patients:status"), {"reference_code": mine.reference_code,
                                                    "date_of_birth": str(DOB)}).content.decode()
    assert "half the people who were attached to a provider in the last 12 months had waited 55 days" in page
    assert "9 in 10 had waited 91 days" in page
