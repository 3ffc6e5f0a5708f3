import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogues():
    """The pages are read in each language from the compiled catalogues: compile them, as
    `make install` does, so a run of these tests alone never reads stale .mo files."""
    subprocess.run([sys.executable, "scripts/compilemessages.py"], cwd=ROOT, check=True, capture_output=True)
    from django.utils import translation
    from django.utils.translation import trans_real

    # Catalogues already loaded by this process are dropped, so the fresh .mo are read.
    trans_real._translations = {}
    trans_real._default = None
    translation.activate("en-ca")
