"""The check of a local waitlist file: every bad row named by line, column and reason; nothing written."""

import datetime
import io

import pytest

from linkage import imports, localfile
from linkage.models import ImportRow, WaitlistImport
from patients.models import Registration

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 12, 1)

# A BOM, CRLF line ends, headers in another order and case with spaces and an unknown column,
# quoted commas (and a quoted line break), and one of each kind of bad row.
NASTY = (
    "\ufeff Last_Name ,LIST_ID,First_Name,Date_of_Birth,PHN,Community,Listed_On,Household,Notes,postal_code,phone,email,priority_factors\r\n"
    '"Smith, Jr.",L1,John,1970-04-12,9234567897,Kamloops,2019-05-01,H1,"called, left msg",V2C 1A1,(250) 555-0101,,chronic_condition\r\n'
    "Lopez,L2,Ana,1985-02-30,,Kamloops,2020-01-01,,,,,,\r\n"
    "Lopez,L3,Mia,03/04/1985,,Kamloops,2020-01-01,,,,,,\r\n"
    "Wong,L4,Amy,1990-01-01,,Atlantis,2020-01-01,,,,,,\r\n"
    "Brown,L5,Tom,1960-06-06,9234567898,kamloops,2018-03-03,,,,,,\r\n"
    "Green,L6,Eve,1975-05-05,,Kamloops,2027-01-01,,,,,,\r\n"
    '"Lee\r\nKim",L7,Sam,1980-08-08,,Victoria,2020-01-01,,,,,,\r\n'
    "Olsen,L8,Ola,1955-05-05,,Kamloops,2020-01-01,,,V2C 1A1,250 555 0199,ola@,unknown_factor\r\n"
    "Smith,L1,Jane,1972-02-02,,Kamloops,2019-05-01,H1,,,,,\r\n"
    "Park,L9,Jin,1991-09-09,,Kamloops,2020-01-01,,,,,,,Kamloops,extra\r\n"
).encode()


def check(data, thompson, **kw):
    return imports.check_file(thompson, data, today=TODAY, **kw)


def problems(report, kind="errors"):
    return [(p["line"], p["column"]) for p in report[kind]]


def test_the_nasty_file_report_names_every_bad_row(thompson):
    result, report = check(NASTY, thompson)
    assert report["rows_read"] == 10
    assert [r.list_id for r in result.rows] == ["L1", "L5"]
    assert problems(report) == [
        (3, "date_of_birth"),          # 1985-02-30 is no day
        (4, "date_of_birth"),          # 03/04/1985 is not YYYY-MM-DD
        (5, "community"),              # Atlantis
        (7, "listed_on"),              # in the future
        (8, "community"),              # Victoria: another division (a quoted line break before it)
        (10, "email"), (10, "priority_factors"),
        (11, "list_id"),               # L1 again
        (12, ""),                      # an unquoted comma: more fields than the header
    ]
    reasons = {(p["line"], p["column"]): p["reason"] for p in report["errors"]}
    assert "“Atlantis” is not a community the registry knows" in reasons[(5, "community")]
    assert "Victoria is in the" in reasons[(8, "community")]
    assert reasons[(3, "date_of_birth")] == "“1985-02-30” is not a day of the calendar."
    assert "already on line 2" in reasons[(11, "list_id")]
    # The bad check digit is a warning on its line, and the row goes on without a PHN.
    assert problems(report, "warnings") == [(6, "phn")]
    assert "check digit" in report["warnings"][0]["reason"]
    brown = result.rows[1]
    assert brown.phn == "" and brown.community == "Kamloops" and brown.line == 6
    smith = result.rows[0]
    assert smith.last_name == "Smith, Jr." and smith.postal_code == "V2C1A1" and smith.household == "H1"
    assert smith.priority_factors == ["chronic_condition"] and smith.phn == "9234567897"
    assert report["rows_bad"] == 8 and report["warning_count"] == 1


def test_checking_writes_nothing(thompson, coordinator):
    from tests.linkage.conftest import actor_of

    before = Registration.objects.count()
    upload = imports.create_import(thompson, data=NASTY, file_name="nasty.csv", actor=actor_of(coordinator))
    assert upload.status == WaitlistImport.Status.CHECKED and upload.rows_valid == 2 and upload.rows_read == 10
    assert Registration.objects.count() == before and not ImportRow.objects.exists()


def test_lf_and_crlf_and_bom_read_the_same(thompson):
    rows = ["list_id,last_name,first_name,date_of_birth,community,listed_on", "A1,Lee,Kim,1980-01-01,Kamloops,2020-02-02",
            "A2,Lee,Jo,1982-01-01,Kamloops,2020-02-02"]
    lf = ("\n".join(rows) + "\n").encode()
    crlf = b"\xef\xbb\xbf" + ("\r\n".join(rows) + "\r\n").encode()
    a, b = check(lf, thompson)[0], check(crlf, thompson)[0]
    assert [r.row_hash for r in a.rows] == [r.row_hash for r in b.rows] and a.rows_valid == 2


def test_a_header_without_required_columns_is_one_file_error(thompson):
    result, report = check(b"name,dob\nLee,1980-01-01\n", thompson)
    assert result.rows_valid == 0
    assert report["file_errors"][0]["line"] == 1
    assert "list_id" in report["file_errors"][0]["reason"] and "listed_on" in report["file_errors"][0]["reason"]


def test_a_file_that_is_not_utf8_is_refused_by_line(thompson):
    data = "list_id,last_name,first_name,date_of_birth,community,listed_on\nA1,Müller,Jo,1980-01-01,Kamloops,2020-01-01\n"
    result, report = check(data.encode("latin-1"), thompson)
    assert report["file_errors"][0]["line"] == 2 and "UTF-8" in report["file_errors"][0]["reason"]


def test_an_xlsx_first_sheet_is_read_with_its_dates_and_numbers(thompson):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["List_ID", "last_name", "first_name", "date_of_birth", "phn", "community", "listed_on"])
    sheet.append(["X1", "Lee", "Kim", datetime.datetime(1980, 1, 1), 9234567897, "Kamloops", datetime.date(2020, 2, 2)])
    sheet.append(["X2", "Lee", "Jo", "1982-13-01", None, "Kamloops", "2020-02-02"])
    book.create_sheet("ignored").append(["whatever"])
    buffer = io.BytesIO()
    book.save(buffer)
    result, report = check(buffer.getvalue(), thompson, file_name="list.xlsx")
    assert [(r.list_id, r.phn, r.date_of_birth) for r in result.rows] == [("X1", "9234567897", datetime.date(1980, 1, 1))]
    assert problems(report) == [(3, "date_of_birth")]


def test_the_frame_has_the_engines_columns(thompson):
    result, _ = check(NASTY, thompson)
    frame = result.frame()
    assert frame.columns == ["list_id", "household", "last_name", "first_name", "date_of_birth", "phn", "gender",
                             "postal_code", "phone", "email", "community", "listed_on", "priority_factors"]
    assert frame.height == 2 and frame["phn"].to_list() == ["9234567897", ""]


def test_row_hash_ignores_the_line_but_not_the_content():
    base = dict(line=2, list_id="A", household="", last_name="Lee", first_name="Kim",
                date_of_birth=datetime.date(1980, 1, 1), phn="", gender="", postal_code="", phone="", email="",
                community_id=1, community="Kamloops", listed_on=datetime.date(2020, 1, 1), priority_factors=[])
    assert localfile.Row(**base).row_hash == localfile.Row(**{**base, "line": 9}).row_hash
    assert localfile.Row(**base).row_hash != localfile.Row(**{**base, "listed_on": datetime.date(2020, 1, 2)}).row_hash


def test_a_household_date_before_a_childs_birth_is_kept_with_a_warning(thompson):
    data = b"list_id,household,last_name,first_name,date_of_birth,community,listed_on\nK1,H,Lee,Mo,2024-05-05,Kamloops,2023-01-01\n"
    result, report = check(data, thompson)
    assert result.rows_valid == 1 and problems(report, "warnings") == [(2, "listed_on")]
    assert result.rows[0].listed_on == datetime.date(2023, 1, 1)
