"""Pages with several forms: every element id once, and a refused form's errors beside it."""

import collections
import re

import pytest
from django.conf import settings
from django.urls import reverse

from attachment.workflow import services
from tests.attachment.conftest import offer_for
from tests.conftest import login
from tests.factories import household

pytestmark = pytest.mark.django_db


def duplicate_ids(html: str) -> list[str]:
    counts = collections.Counter(re.findall(r'\sid="([^"]+)"', html))
    return sorted(i for i, n in counts.items() if n > 1)


def test_the_registration_page_has_each_id_once(client, coordinator):
    registration = household(2)
    login(client, coordinator)
    html = client.get(reverse("patients:registration", args=[registration.pk])).content.decode()
    assert duplicate_ids(html) == []
    assert 'for="withdraw_reason"' in html and 'for="ineligible_reason"' in html and 'for="override_reason"' in html


def test_a_refused_withdrawal_shows_its_errors_in_the_withdraw_form_and_focuses_them(client, coordinator):
    registration = household(1)
    login(client, coordinator)
    response = client.post(reverse("patients:withdraw", args=[registration.pk]), {"reason": ""})
    assert response.status_code == 400
    html = response.content.decode()
    section = html[html.index('id="withdraw-h"'):html.index('id="ineligible-h"')]
    assert 'id="error-summary"' in section and 'role="alert"' in section
    assert 'href="#withdraw_reason"' in section  # the summary links to the field
    # The focus is given by the site's script (a strict CSP allows no inline script).
    assert "/static/js/attach.js" in html
    script = (settings.BASE_DIR / "static" / "js" / "attach.js").read_text()
    assert 'getElementById("error-summary")' in script and "summary.focus()" in script
    assert html.count('id="error-summary"') == 1
    assert duplicate_ids(html) == []


def test_the_sent_offer_page_has_each_id_once(client, provider, kamloops, coordinator, moa):
    from providers.capacity import declare_capacity

    declare_capacity(provider, accepting=True, new_patients=2)
    offer = offer_for(household(1, community=kamloops), coordinator)
    services.clinic_accept(offer.pk, by=moa)
    login(client, coordinator)
    html = client.get(reverse("workflow:offer", args=[offer.pk])).content.decode()
    assert "Record the household" in html and "Withdraw this offer" in html
    assert duplicate_ids(html) == []
    refused = client.post(reverse("workflow:offer", args=[offer.pk]), {"form": "answer", "answer": "no"})
    assert 'href="#answer_reason"' in refused.content.decode()
    assert duplicate_ids(refused.content.decode()) == []
