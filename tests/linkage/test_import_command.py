"""manage.py import_waitlist: the same check and import, from the command line."""

import datetime
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from linkage.models import WaitlistImport
from tests.linkage.conftest import local_csv, registration_of, waiting_person

pytestmark = pytest.mark.django_db


def run(*args):
    import io

    out = io.StringIO()
    call_command("import_waitlist", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def files(tmp_path):
    clean = tmp_path / "clean.csv"
    clean.write_bytes(local_csv("L1,,Lopez,Ana,1985-03-02,9234567897,F,,,,Kamloops,2019-05-01,",
                                "L2,,Okafor,Chidi,1979-11-11,,M,,,,Kamloops,2022-06-01,"))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(local_csv("L1,,Lopez,Ana,1985-03-02,9234567897,F,,,,Kamloops,2019-05-01,",
                              "L2,,Okafor,Chidi,1979-11-31,,M,,,,Kamloops,2022-06-01,"))
    return clean, bad


def test_a_clean_file_is_imported(files, coordinator, thompson):
    ana = waiting_person(last_name="Lopez", first_name="Ana", dob=datetime.date(1985, 3, 2), phn="9234567897")
    report = json.loads(run(str(files[0]), "--division", thompson.name, "--user", "coordinator", "--json"))
    assert report["status"] == "imported" and report["figures"]["merged"] == 1 and report["figures"]["registered"] == 1
    assert registration_of(ana).registered_at.date() == datetime.date(2019, 5, 1)


def test_a_file_with_bad_rows_is_refused_unless_asked(files, coordinator, thompson):
    with pytest.raises(SystemExit):
        run(str(files[1]), "--division", thompson.name, "--user", "coordinator")
    assert not WaitlistImport.objects.exists()
    text = run(str(files[1]), "--division", thompson.name, "--user", "coordinator", "--import-good")
    assert "line 3, date_of_birth" in text and "Status: imported" in text


def test_only_a_coordinator_of_the_division(files, other_coordinator, thompson):
    with pytest.raises(CommandError, match="does not coordinate"):
        run(str(files[0]), "--division", thompson.name, "--user", other_coordinator.username)
