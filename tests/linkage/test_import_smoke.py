import datetime

import pytest

from linkage.models import ImportRow
from tests.linkage.conftest import imported, local_csv, waiting_person

pytestmark = pytest.mark.django_db


def test_smoke(coordinator, thompson):
    ana = waiting_person(last_name="Lopez", first_name="Ana", dob=datetime.date(1985, 3, 2), phn="9234567897")
    data = local_csv(
        "L1,,Lopez,Ana,1985-03-02,9234567897,F,V2C 1A1,250-555-0101,,Kamloops,2020-01-05,",
        "L2,H1,Nguyen,Bao,1990-07-08,,M,V2C1A2,250-555-0102,,Kamloops,2021-02-03,chronic_condition",
        "L3,H1,Nguyen,Linh,2024-11-01,,F,V2C1A2,250-555-0102,,Kamloops,2021-02-03,",
    )
    upload = imported(thompson, coordinator, data)
    print(upload.figures)
    for r in ImportRow.objects.filter(upload=upload):
        print(r.line, r.decision, r.outcome, r.person_id, r.registration_id, r.evidence)
    assert upload.status == "imported"
