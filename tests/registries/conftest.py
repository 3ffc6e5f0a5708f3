import pytest

from tests.factories import valid_phns


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def phn_list(n, start=40_000_000):
    return valid_phns(n, start)


def panel_csv(rows, header="phn,last_name,first_name,date_of_birth,gender,postal_code,last_visit", eol="\n", bom=False):
    text = eol.join([header, *rows]) + eol
    return (("\ufeff" if bom else "") + text).encode("utf-8")


def good_rows(phns, last_visit="2025-03-01"):
    return [f"{p},Last{i},First{i},1980-01-{(i % 28) + 1:02d},F,V2C 1A1,{last_visit}" for i, p in enumerate(phns)]
