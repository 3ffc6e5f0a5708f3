"""Keeping an upload writes the upload and its audit event together, or neither."""

import pytest

from attachment.core import audit
from registries.models import PanelUpload
from registries.panels import uploads
from tests.factories import ProviderFactory

pytestmark = pytest.mark.django_db(transaction=True)

FILE = b"phn,last_name,first_name,date_of_birth,gender,postal_code,last_visit\n"


def test_a_failed_audit_leaves_no_upload_behind(monkeypatch):
    provider = ProviderFactory()

    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        uploads.create_upload(provider, data=FILE, file_name="panel.csv")
    assert not PanelUpload.objects.exists()
