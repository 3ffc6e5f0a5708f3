"""The waitlist keeps the valid filters when one is not, and says how many it found."""

import pytest
from django.urls import reverse

from patients import selectors
from registries.models import Community
from tests.conftest import login
from tests.factories import PatientFactory, RegistrationFactory, household

pytestmark = pytest.mark.django_db


def refs(response):
    return [r.reference_code for r in response.context["rows"]]


def test_an_invalid_filter_is_ignored_and_named_the_search_and_other_filters_kept(client, coordinator):
    target = RegistrationFactory(household_size=1, languages=["pa"])
    PatientFactory(registration=target, last_name="Okonkwo-Hale", is_primary_contact=True)
    other = RegistrationFactory(household_size=1, languages=["en"])
    PatientFactory(registration=other, last_name="Okonkwo-Hale", is_primary_contact=True)
    household(2)
    login(client, coordinator)
    response = client.get(reverse("patients:waitlist"),
                          {"q": "okonkwo", "language": "pa", "community": "999999", "waited_days": "soon"})
    assert refs(response) == [target.reference_code]
    assert response.context["ignored"] == ["Community", "Waited more than (days)"]
    page = response.content.decode()
    assert "Not applied, the value is not valid: Community, Waited more than (days)" in page
    assert 'value="okonkwo"' in page


def test_a_too_short_search_is_ignored_but_the_filters_stay(client, coordinator):
    kamloops = Community.objects.get(name="Kamloops")
    mine = household(1, community=kamloops, languages=["fr"])
    household(1, community=kamloops, languages=["en"])
    login(client, coordinator)
    response = client.get(reverse("patients:waitlist"), {"q": "ab", "language": "fr"})
    assert refs(response) == [mine.reference_code]
    assert response.context["ignored"] == ["Search"]


def test_valid_filters_ignore_nothing(client, coordinator):
    household(1)
    login(client, coordinator)
    response = client.get(reverse("patients:waitlist"), {"status": "open", "sort": "wait"})
    assert response.context["ignored"] == []
    assert "Not applied" not in response.content.decode()


def test_the_page_says_how_many_it_found_exactly_up_to_the_cap(client, coordinator, monkeypatch,
                                                              django_assert_max_num_queries):
    for _ in range(selectors.PAGE_SIZE + 5):
        household(1)
    login(client, coordinator)
    page = client.get(reverse("patients:waitlist")).content.decode()
    assert f"Showing 1–50 of {selectors.PAGE_SIZE + 5}" in page
    page = client.get(reverse("patients:waitlist"), {"page": 2}).content.decode()
    assert f"Showing 51–55 of {selectors.PAGE_SIZE + 5}" in page

    monkeypatch.setattr(selectors, "COUNT_CAP", 30)  # what 1,000 is at full size
    page = client.get(reverse("patients:waitlist")).content.decode()
    assert "Showing 1–50 of more than 30" in page
