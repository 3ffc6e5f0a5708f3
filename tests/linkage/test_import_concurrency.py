"""The same file imported twice at the same moment (a double click, two coordinators): it takes effect once."""

import threading

import pytest
from django.db import connection

from linkage import imports
from linkage.models import ImportRow, WaitlistImport
from patients.models import Registration
from tests.linkage.conftest import actor_of, local_csv


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_file_at_once_apply_it_once(coordinator, thompson):
    data = local_csv("L1,H1,Nguyen,Bao,1990-07-08,,M,V2C1A2,250-555-0102,,Kamloops,2021-02-03,",
                     "L2,H1,Nguyen,Mai,1992-01-09,,F,V2C1A2,250-555-0102,,Kamloops,2021-02-03,",
                     "L3,,Okafor,Chidi,1979-11-11,,M,,,,Kamloops,2022-06-01,")
    uploads = [imports.create_import(thompson, data=data, file_name="x.csv", actor=actor_of(coordinator))
               for _ in range(2)]
    WaitlistImport.objects.update(status="importing", import_requested_by=coordinator)
    start, failures = threading.Barrier(2), []

    def go(pk):
        try:
            start.wait()
            imports.run_import(pk)
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=go, args=(u.pk,)) for u in uploads]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failures == []
    assert Registration.objects.count() == 2  # the household and Chidi, once
    outcomes = sorted(sorted(ImportRow.objects.filter(upload=u).values_list("outcome", flat=True)) for u in uploads)
    assert outcomes == [["registered"] * 3, ["skipped"] * 3]
