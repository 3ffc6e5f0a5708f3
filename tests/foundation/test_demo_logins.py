"""`make run`'s banner lists one demo login per role, in columns that line up."""

import io

import pytest
from django.core.management import call_command

from attachment.demo.data import DEMO_LOGINS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_demo_logins_line_up_whatever_their_length():
    for _, username in DEMO_LOGINS:
        UserFactory(username=username)
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(DEMO_LOGINS)
    assert len({line.index("password:") for line in lines}) == 1, lines
