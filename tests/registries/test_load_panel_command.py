import json

import pytest
from django.core.management import call_command

from patients.models import Patient
from registries.models import PanelEntry, PanelUpload
from tests.registries.conftest import good_rows, panel_csv, phn_list

pytestmark = pytest.mark.django_db


def run(capsys, *args):
    code = 0
    try:
        call_command("load_panel", *args)
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def files(tmp_path):
    phns = phn_list(3)
    clean = tmp_path / "clean.csv"
    clean.write_bytes(panel_csv(good_rows(phns)))
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(panel_csv(good_rows(phns) + ["9999999999,X,Y,1980-01-01,,,", f"{phns[0]},Dup,Row,1980-01-01,,,"]))
    return clean, mixed


def test_bad_rows_without_a_flag_exit_non_zero_and_write_nothing(provider, files, capsys):
    code, out, err = run(capsys, "--provider", provider.practitioner_number, str(files[1]), "--json")
    report = json.loads(out)
    assert code == 1 and "nothing was written" in err
    assert (report["rows_read"], report["rows_valid"], report["rows_loaded"]) == (5, 3, 0)
    assert [(e["line"], e["column"]) for e in report["errors"]] == [(5, "phn"), (6, "phn")]
    assert report["errors"][1]["reason"] == "The same PHN is on line 2."
    assert not Patient.objects.exists() and not PanelUpload.objects.exists()


def test_check_only_writes_nothing_and_exits_zero(provider, files, capsys):
    code, out, _ = run(capsys, "--provider", provider.practitioner_number, str(files[1]), "--check-only")
    assert code == 0 and "line 5, phn:" in out and "Rows valid: 3" in out
    assert not Patient.objects.exists() and not PanelEntry.objects.exists()


def test_load_valid_loads_the_good_rows_and_twice_is_a_no_op(provider, files, capsys):
    code, out, _ = run(capsys, "--provider", provider.practitioner_number, str(files[1]), "--load-valid", "--json")
    report = json.loads(out)
    assert code == 0 and report["rows_loaded"] == 3 and report["status"] == "loaded"
    assert PanelEntry.objects.filter(provider=provider).count() == 3
    code, out, _ = run(capsys, "--provider", provider.practitioner_number, str(files[0]), "--json")
    assert code == 0 and json.loads(out)["rows_loaded"] == 0 and json.loads(out)["already_on_panel"] == 3
    assert PanelEntry.objects.count() == 3


def test_unknown_provider_is_an_error(files, db, capsys):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("load_panel", "--provider", "nope", str(files[0]))
