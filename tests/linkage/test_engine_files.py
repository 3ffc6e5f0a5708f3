"""``manage.py link`` on files, end to end: REGISTRY.csv and a nasty LOCAL.csv in,
DECISIONS.json out in exactly the format's shape; and on a synthetic list with known
truth, the quality the benchmark measures, at a size a test can afford."""

import io
import json

import polars as pl
import pytest
from django.core.management import CommandError, call_command

from linkage.fileio import check_local
from linkage.synth import generate, measure
from registries.phn import make_phn

GOOD_PHN = next(p for p in map(make_phn, range(12_345_678, 12_345_700)) if p)
BAD_PHN = GOOD_PHN[:-1] + str((int(GOOD_PHN[-1]) + 1) % 10)

REGISTRY = (
    "person_id,last_name,first_name,date_of_birth,phn,gender,postal_code,phone,email,community\n"
    f"P1,Smith,William,1980-03-12,{GOOD_PHN},M,V5K 0A1,604-555-1234,,Burnaby\n"
    "P2,Smith,Emma,2010-05-01,,F,V5K 0A1,604-555-1234,,Burnaby\n"
    "P3,\"O'Brien, Jr\",Patrick,1966-07-04,,M,V6B 1A1,,,Vancouver\n"
)
# A byte-order mark, CRLF, headers in another case with spaces and order, an unknown
# column, quoted commas, a bad date, an unknown community, a PHN with a bad check digit.
LOCAL = (
    "\ufeffList_ID , First_Name,LAST_NAME,date_of_birth,phn,community,listed_on,Notes,household, Postal_Code\r\n"
    "A1,Bill,Smith,1980-12-03,,burnaby,2021-01-01,\"called, no answer\",,v5k0a1\r\n"
    "A2,Patrick,\"O'Brien, Jr\",1966-07-04,,Vancouver,2021-02-01,,,\r\n"
    "A3,Emma,Smith,2010-13-01,,Burnaby,2021-01-01,,,\r\n"
    "A4,Nobody,Known,1999-09-09,,Atlantis,2021-01-01,,,\r\n"
    f"A5,Emma,Smith,2010-05-01,{BAD_PHN},Burnaby,2021-03-01,,,\r\n"
    "A6,Ada,Newcomer,1991-01-01,,Surrey,2021-03-01,,,\r\n"
    "A7,Ada,Newcomer,1991-01-01,,Surrey,2021-04-01,,,\r\n"
)


@pytest.fixture
def files(tmp_path):
    registry, local = tmp_path / "REGISTRY.csv", tmp_path / "LOCAL.csv"
    registry.write_text(REGISTRY, encoding="utf-8")
    local.write_bytes(LOCAL.encode("utf-8"))
    return registry, local, tmp_path / "DECISIONS.json"


def run(registry, local, out):
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("link", registry=str(registry), local=str(local), out=str(out), stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_the_command_writes_one_decision_per_good_row_in_the_formats_shape(files):
    registry, local, out = files
    stdout, stderr = run(registry, local, out)
    written = json.loads(out.read_text(encoding="utf-8"))
    assert set(written) == {"decisions", "figures"}
    by_id = {d["list_id"]: d for d in written["decisions"]}
    assert [d["list_id"] for d in written["decisions"]] == ["A1", "A2", "A5", "A6", "A7"]
    assert by_id["A1"] == {"list_id": "A1", "decision": "merge", "person": "P1",
                           "score": by_id["A1"]["score"], "evidence": by_id["A1"]["evidence"]}
    assert 0.99 <= by_id["A1"]["score"] <= 1.0
    assert "first name a nickname (Bill / William)" in by_id["A1"]["evidence"]
    assert (by_id["A2"]["decision"], by_id["A2"]["person"]) == ("merge", "P3")  # the quoted comma
    assert by_id["A5"]["decision"] == "merge" and by_id["A5"]["person"] == "P2"  # bad PHN: as missing
    assert by_id["A6"] == {"list_id": "A6", "decision": "new"}
    assert by_id["A7"] == {"list_id": "A7", "decision": "duplicate", "same_as": "A6"}
    figures = written["figures"]
    assert set(figures) == {"registry", "local", "merge", "review", "new", "duplicate", "seconds"}
    assert (figures["registry"], figures["local"], figures["merge"], figures["new"],
            figures["duplicate"]) == (3, 5, 3, 1, 1)
    assert "line 4, date_of_birth: '2010-13-01' is not a date YYYY-MM-DD" in stderr
    assert "line 5, community: 'Atlantis' is not a community of the registry" in stderr
    assert "warning: line 6, phn: This is not a valid Personal Health Number" in stderr
    assert "merge 3, review 0, new 1, duplicate 1; left out 2" in stdout


def test_the_check_reports_line_column_and_reason_and_blanks_a_bad_phn(files):
    _, local, _ = files
    checked = check_local(local)
    assert [str(p) for p in checked.errors] == [
        "line 4, date_of_birth: '2010-13-01' is not a date YYYY-MM-DD"]  # no geography given
    assert [(p.line, p.column) for p in checked.warnings] == [(6, "phn")]
    assert checked.rows.filter(pl.col("list_id") == "A5")["phn"].to_list() == [""]
    assert checked.rows.schema["date_of_birth"] == pl.Date


def test_a_repeated_list_id_and_a_future_listing_are_refused(tmp_path):
    local = tmp_path / "LOCAL.csv"
    local.write_text("list_id,last_name,first_name,date_of_birth,community,listed_on\n"
                     "X,Lee,Mei,1960-01-01,Burnaby,2020-01-01\n"
                     "X,Lee,May,1960-01-01,Burnaby,2999-01-01\n")
    checked = check_local(local)
    assert [str(p) for p in checked.errors] == ["line 3, list_id: X is also on line 2",
                                                "line 3, listed_on: is in the future"]
    assert checked.rows["list_id"].to_list() == ["X"]


def test_a_file_without_a_required_column_is_a_clear_error(files, tmp_path):
    registry, _, out = files
    local = tmp_path / "L.csv"
    local.write_text("list_id,last_name,first_name,community,listed_on\nA,B,C,Burnaby,2020-01-01\n")
    with pytest.raises(CommandError, match="missing column.*date_of_birth"):
        run(registry, local, out)
    assert not out.exists()


def test_a_synthetic_list_is_linked_within_the_benchmarks_targets(tmp_path):
    """The benchmark's measures on 20,000 registry people and 3,000 local rows."""
    synthetic = generate(20_000, 3_000, seed=7)
    registry, local, _ = synthetic.write(tmp_path)
    run(registry, local, tmp_path / "D.json")
    decisions = json.loads((tmp_path / "D.json").read_text())["decisions"]
    figures = measure(decisions, synthetic.truth)
    assert figures["rows"] == 3_000
    assert figures["wrong_merges"] == 0
    assert figures["merged_outright"] >= 0.95
    assert figures["found"] >= 0.995
    assert figures["review_share"] <= 0.05
    assert figures["duplicates_found"] >= 0.90


def test_the_generator_is_deterministic_and_its_truth_is_complete():
    one, two = generate(2_000, 400, seed=3), generate(2_000, 400, seed=3)
    assert one.local.equals(two.local) and one.registry.equals(two.registry)
    assert one.truth["list_id"].to_list() == one.local["list_id"].to_list()
    known = one.truth.filter(pl.col("in_registry"))["person"]
    assert set(known) <= set(one.registry["person_id"])
    kinds = " ".join(one.truth["kind"])
    for kind in ("twin", "namesake", "same name in the home", "listed again", "nickname",
                 "first name typo", "moved", "phone changed"):
        assert kind in kinds


def test_a_spreadsheet_is_read_like_the_csv(files, tmp_path):
    import datetime as dt

    from openpyxl import Workbook

    registry, _, out = files
    book = Workbook()
    sheet = book.active
    sheet.append([" List_ID", "Last_Name", "first_name", "date_of_birth", "PHN", "community", "listed_on",
                  "postal_code"])
    sheet.append(["S1", "Smith", "Bill", dt.datetime(1980, 12, 3), None, "Burnaby", dt.date(2021, 1, 1), "V5K 0A1"])
    sheet.append(["S2", "Smith", "Emma", "2010-05-01", int(BAD_PHN), "Burnaby", "2021-01-01", None])
    sheet.append(["S3", "Smith", "Emma", "not a date", None, "Burnaby", "2021-01-01", None])
    local = tmp_path / "LOCAL.xlsx"
    book.save(local)
    stdout, stderr = run(registry, local, out)
    decisions = {d["list_id"]: d for d in json.loads(out.read_text())["decisions"]}
    assert (decisions["S1"]["decision"], decisions["S1"]["person"]) == ("merge", "P1")
    assert (decisions["S2"]["decision"], decisions["S2"]["person"]) == ("merge", "P2")
    assert "S3" not in decisions
    assert "line 4, date_of_birth: 'not a date' is not a date YYYY-MM-DD" in stderr
    assert "warning: line 3, phn" in stderr


def test_a_line_break_inside_quotes_keeps_the_line_numbers_true(tmp_path):
    local = tmp_path / "LOCAL.csv"
    local.write_text('list_id,last_name,first_name,date_of_birth,community,listed_on,notes\n'
                     'A,Lee,Mei,1960-01-01,Burnaby,2020-01-01,"two\nlines"\n'
                     '\n'
                     'B,Lee,May,1960-02-30,Burnaby,2020-01-01,\n'
                     'C,Lee,Ming,1961-01-01,Burnaby\n', encoding="utf-8")
    checked = check_local(local)
    assert [str(p) for p in checked.errors] == [
        "line 5, date_of_birth: '1960-02-30' is not a date YYYY-MM-DD",
        "line 6, row: has 5 fields, the header 7",
        "line 6, listed_on: '' is not a date YYYY-MM-DD"]
    assert checked.rows["list_id"].to_list() == ["A"]


def test_any_community_accepts_a_name_outside_the_seeded_geography(files):
    registry, local, out = files
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("link", registry=str(registry), local=str(local), out=str(out), any_community=True,
                 stdout=stdout, stderr=stderr)
    decisions = {d["list_id"]: d for d in json.loads(out.read_text())["decisions"]}
    assert decisions["A4"] == {"list_id": "A4", "decision": "new"}
    assert "Atlantis" not in stderr.getvalue()
