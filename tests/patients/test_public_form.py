"""The public form to the GOV.UK Design System's standard: the date of birth in three boxes
with errors that name the part, messages written for the person, the error summary in the
page's order linking to each field, "Add another person" landing on the new person, the
check-your-answers step, and "(optional)" said once."""

import datetime
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.dates import DateOfBirthField
from patients.models import Registration
from tests.patients.helpers import registration_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    n = uuid.uuid4().int  # registrations are rate-limited per address in the real Redis
    client.defaults["REMOTE_ADDR"] = f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250}"
    return client


@pytest.mark.parametrize("day, month, year, message", [
    ("", "", "", "Enter your date of birth"),
    ("12", "", "1980", "Date of birth must include a month"),
    ("", "4", "1980", "Date of birth must include a day"),
    ("12", "4", "", "Date of birth must include a year"),
    ("", "", "1980", "Date of birth must include a day and month"),
    ("", "4", "", "Date of birth must include a day and year"),
    ("12", "", "", "Date of birth must include a month and year"),
    ("31", "2", "1980", "Date of birth must be a real date"),
    ("12", "13", "1980", "Date of birth must be a real date"),
    ("twelve", "4", "1980", "Date of birth must be a real date"),
    ("12", "4", "80", "Year must include 4 numbers"),
    ("1", "1", str(timezone.localdate().year + 1), "Date of birth must be in the past"),
    ("1", "1", "1850", "Date of birth must be after 1 January 1900"),
])
def test_each_part_of_the_date_of_birth_has_its_own_message(day, month, year, message):
    field = DateOfBirthField()
    with pytest.raises(Exception) as refused:
        field.clean([day, month, year])
    assert refused.value.messages == [message]


def test_a_date_of_birth_is_read_from_its_three_boxes_or_one_iso_value():
    field = DateOfBirthField()
    assert field.clean([" 2", "09", "2015"]) == datetime.date(2015, 9, 2)
    widget = field.widget
    assert widget.value_from_datadict({"dob_day": "2", "dob_month": "9", "dob_year": "2015"}, {}, "dob") == [
        "2", "9", "2015"]
    assert widget.value_from_datadict({"dob": "2015-09-02"}, {}, "dob") == ["2", "9", "2015"]


def test_the_three_boxes_are_a_labelled_group_the_summary_links_to(client):
    page = client.get(reverse("patients:register")).content.decode()
    group = page[page.index('id="id_members-0-date_of_birth_group"') - 60:]
    group = group[:group.index("</fieldset>")]
    assert 'role="group"' in group and "<legend>Date of birth</legend>" in group
    assert "For example, 27 3 2007" in group
    for part, box in [("Day", "id_members-0-date_of_birth"), ("Month", "id_members-0-date_of_birth_month"),
                      ("Year", "id_members-0-date_of_birth_year")]:
        assert f'<label for="{box}">{part}</label>' in group
        assert re.search(rf'<input class="date-\w+" type="text" inputmode="numeric" name="[^"]+" id="{box}"', group)


def test_messages_are_written_for_the_person_and_the_summary_follows_the_page(client):
    data = registration_post(address="", phone="", email="", community="")
    data.update({"members-0-first_name": "", "members-0-date_of_birth": "", "members-0-date_of_birth_day": "3",
                 "members-0-date_of_birth_year": "1990", "members-0-phn": "12345"})
    page = client.post(reverse("patients:register"), data).content.decode()
    summary = page[page.index('id="error-summary"'):page.index("</div>", page.index('id="error-summary"'))]
    links = re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', summary)
    assert links == [
        ("id_members-0-first_name", "Person 1: Enter the first name"),
        ("id_members-0-date_of_birth", "Person 1: Date of birth must include a month"),
        ("id_members-0-phn", "Person 1: Enter a Personal Health Number with 10 digits"),
        ("id_phone", "Enter a phone number or an email address (or both) so we can reach you"),
        ("id_address", "Enter your street address"),
        ("id_community", "Choose the community you live in"),
    ]
    assert "This field is required" not in page
    # Each link's target is on the page, in the same order as the summary.
    positions = [page.index(f'id="{target}"') for target, _message in links]
    assert positions == sorted(positions)


def test_optional_is_said_once_per_field_and_required_fields_are_not_marked(client):
    page = client.get(reverse("patients:register")).content.decode()
    assert "(optional) <span" not in page and "(optional) (optional)" not in page
    assert "(required)" not in page
    labels = re.findall(r"<(?:label|legend)[^>]*>([^<]*)<span class=\"muted\">\(optional\)</span>", page)
    assert sorted(label.strip() for label in labels) == sorted([
        "Gender", "Phone number", "Email address", "Postal code", "Languages you would like care in",
        "Preferred gender of your provider", "Does any of these apply to someone in your household?"])


def test_add_another_person_keeps_the_place_and_focuses_the_new_person(client):
    data = registration_post()
    data.pop("confirm")
    page = client.post(reverse("patients:register"), {**data, "add_member": "1"}).content.decode()
    assert 'id="member-2"' in page
    new_person = page[page.index('id="member-2"'):]
    assert re.search(r'<input[^>]*name="members-1-first_name"[^>]*autofocus', new_person)
    assert page.count("autofocus") == 1
    # No #fragment on the button: browsers ignore autofocus on a page whose URL has one.
    assert "formaction" not in page[page.index('name="add_member"') - 100:page.index('name="add_member"') + 100]
    assert 'value="Ana"' in page
    assert "There is a problem" not in page


def test_check_your_answers_then_register(client, django_capture_on_commit_callbacks):
    data = registration_post()
    data.pop("confirm")
    check = client.post(reverse("patients:register"), {**data, "submit": "1"})
    page = check.content.decode()
    assert check.status_code == 200 and Registration.objects.count() == 0
    assert "Check your answers before registering" in page
    assert "Ana Lopez" in page and "2 Mar 1985" in page and data["members-0-phn"] in page
    assert "12 River Road" in page and "Kamloops" in page and "A chronic condition that needs regular care" in page
    # Every answer goes back with the confirmation, unchanged.
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    assert hidden["members-0-first_name"] == "Ana" and hidden["submission_token"] == data["submission_token"]
    assert 'name="change" value="member-1">' in page
    assert 'name="change" value="needs" formaction="/register/#needs"' in page  # a group: scrolled to, not focused

    # "Change" takes the person back to the form, at that part, with what they typed.
    back = client.post(reverse("patients:register"), {**hidden, "change": "address"}).content.decode()
    assert 'value="12 River Road"' in back and re.search(r'name="address"[^>]*autofocus', back)
    assert Registration.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("patients:register"), {**hidden, "confirm": "1"})
    assert done.status_code == 302 and Registration.objects.count() == 1


def test_the_check_step_shows_the_errors_instead_when_something_is_wrong(client):
    data = registration_post(address="")
    data.pop("confirm")
    response = client.post(reverse("patients:register"), {**data, "submit": "1"})
    assert response.status_code == 400 and "Enter your street address" in response.content.decode()
    assert "Check your answers" not in response.content.decode()


def test_the_status_and_offer_pages_use_the_same_date_of_birth_and_messages(client):
    for url in (reverse("patients:status"), reverse("offer:respond", args=["ACDEFGHJ"])):
        page = client.post(url, {"reference_code": "", "date_of_birth_day": "4", "date_of_birth_year": "1990"})
        html = page.content.decode()
        assert 'href="#id_reference_code">Enter your reference code</a>' in html
        assert 'href="#id_date_of_birth">Date of birth must include a month</a>' in html
        assert 'id="id_date_of_birth_month"' in html
