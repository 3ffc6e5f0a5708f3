"""Browser journey of an attachment coordinator merging a local waitlist: upload, read the report,
import (a real Celery worker), work three review decisions, and undo one merge."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from linkage.models import ImportRow
from tests.e2e.conftest import assert_accessible, login_in_browser
from tests.linkage.conftest import registration_of, waiting_person

D = datetime.date


@pytest.mark.django_db(transaction=True)
def test_coordinator_merges_a_local_list_reviews_and_undoes(live_server, page, coordinator, celery_worker_real,
                                                           settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    ana = waiting_person(last_name="Lopez", first_name="Ana", dob=D(1985, 3, 2), phn="9234567897",
                         postal_code="V2C1A1", phone="250-555-0101")
    waiting_since = registration_of(ana).registered_at
    for last, firsts, born, postal, phone in [("Singh", ("Harpreet", "Gurpreet"), D(1988, 1, 1), "V2C1A3", "250-555-0103"),
                                              ("Kaur", ("Jasleen", "Jaspreet"), D(1992, 6, 6), "V2C1A4", "250-555-0104"),
                                              ("Lee", ("Kevin", "Kenneth"), D(2001, 2, 2), "V2C1A6", "250-555-0106")]:
        for first in firsts:  # twins: the same surname, birth date, home and phone
            waiting_person(last_name=last, first_name=first, dob=born, postal_code=postal, phone=phone)
    lines = [
        "\ufeffList_ID, Last_Name ,First_Name,Date_of_Birth,PHN,Gender,Postal_Code,Phone,Community,Listed_On,Clinic notes",
        'L1,Lopez,Ana,1985-03-02,9234567897,F,V2C 1A1,,Kamloops,2019-01-01,"called, no answer"',
        "L2,Okafor,Chidi,1979-11-11,,M,,,Kamloops,2019-01-01,",
        "L3,Singh,H,1988-01-01,,F,V2C1A3,250-555-0103,Kamloops,2019-01-01,",
        "L4,Kaur,J,1992-06-06,,F,V2C1A4,250-555-0104,Kamloops,2019-01-01,",
        "L5,Lee,K,2001-02-02,,M,V2C1A6,250-555-0106,Kamloops,2019-01-01,",
        "L6,Wong,Amy,1990-01-01,,F,,,Atlantis,2019-01-01,",
    ]

    login_in_browser(page, live_server, "coordinator")
    page.get_by_role("link", name="Local lists").click()
    expect(page.get_by_role("heading", name="Merge a local waitlist")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Local waitlist (CSV or .xlsx)").set_input_files(
        files=[{"name": "clinic-list.csv", "mimeType": "text/csv", "buffer": "\r\n".join(lines).encode() + b"\r\n"}])
    page.get_by_role("button", name="Check the file").click()

    # The report: every bad row with its line, column and reason; nothing written yet.
    expect(page.get_by_role("heading", name="Local waitlist report")).to_be_visible()
    expect(page.get_by_test_id("rows-read")).to_have_text("6")
    expect(page.get_by_test_id("rows-valid")).to_have_text("5")
    expect(page.get_by_test_id("bad-rows").get_by_role("row", name=re.compile(r"^7 community .*Atlantis"))).to_be_visible()
    assert_accessible(page)
    assert not ImportRow.objects.exists()

    page.get_by_role("button", name="Import the good rows").click()
    expect(page.get_by_test_id("import-done")).to_contain_text("5 rows", timeout=60_000)
    expect(page.get_by_test_id("n-merged")).to_have_text("1")
    expect(page.get_by_test_id("n-review")).to_have_text("3")
    expect(page.get_by_test_id("n-registered")).to_have_text("1")
    assert registration_of(ana).registered_at.date() == D(2019, 1, 1)
    assert_accessible(page)

    # Three review decisions: the same person as a candidate, a new person, a duplicate of a row.
    page.get_by_role("link", name="Review queue").first.click()
    expect(page.get_by_role("heading", name="Local list review queue")).to_be_visible()
    assert_accessible(page)
    page.get_by_test_id("review-L3").click()
    expect(page.get_by_role("heading", name=re.compile("Review line 4"))).to_be_visible()
    expect(page.get_by_test_id("candidate-1")).to_contain_text("Harpreet")
    expect(page.get_by_test_id("candidate-2").get_by_test_id("against")).to_contain_text("first name differs")
    assert_accessible(page)
    page.get_by_label("The same person as this candidate").check()
    page.get_by_label("Singh, Harpreet").check()
    page.get_by_label("How you know").fill("Harpreet confirmed by phone")
    page.get_by_role("button", name="Decide").click()

    expect(page.get_by_role("heading", name=re.compile("Review line 5"))).to_be_visible()
    page.get_by_label("A new person: register them").check()
    page.get_by_role("button", name="Decide").click()

    expect(page.get_by_role("heading", name=re.compile("Review line 6"))).to_be_visible()
    page.get_by_label("The same person as another row of this file").check()
    page.get_by_label("The earlier row of this file").select_option(label="line 3: Okafor, Chidi")
    page.get_by_role("button", name="Decide").click()
    expect(page.get_by_role("heading", name="Local list review queue")).to_be_visible()
    expect(page.get_by_test_id("queue")).to_contain_text("Nothing to review")
    rows = {r.list_id: r for r in ImportRow.objects.all()}
    assert (rows["L3"].outcome, rows["L3"].review_choice) == ("merged", "merge")
    assert (rows["L4"].outcome, rows["L5"].outcome) == ("registered", "duplicate")

    # Undo the merge of Ana: her registration waits since its own date again; the row is back in review.
    page.goto(f"{live_server.url}/linkage/imports/{rows['L1'].upload_id}/rows/")
    assert_accessible(page)
    page.get_by_test_id("row-L1").get_by_role("link", name="Undo").click()
    expect(page.get_by_role("heading", name=re.compile("Undo line 2"))).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Why").fill("Another Ana Lopez")
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_text("back in the review queue")).to_be_visible()
    assert registration_of(ana).registered_at == waiting_since
    assert ImportRow.objects.get(list_id="L1").outcome == "pending"

    page.goto(f"{live_server.url}/linkage/imports/{rows['L1'].upload_id}/")
    outcomes = page.get_by_test_id("review-outcomes")
    expect(outcomes).to_contain_text("Reviewed")
    expect(page.get_by_test_id("still-pending")).to_have_text("1")
    assert_accessible(page)
