"""The browser tests' axe-core is the vendored copy from the npm registry, and it does find
what it is there to find (a page of known violations fails)."""

import pytest

from tests.e2e.conftest import AXE_VERSION, axe_source, axe_violations


def test_the_vendored_axe_is_the_checked_version():
    source = axe_source()
    assert source.startswith(f"/*! axe v{AXE_VERSION}")


@pytest.mark.django_db(transaction=True)
def test_axe_fails_a_page_with_serious_violations(page):
    page.set_content('<html><body><main><img src="x.png"><input type="text">'
                     '<button></button><p style="color:#ddd;background:#fff">faint</p></main></body></html>')
    found = " ".join(axe_violations(page))
    for rule in ("html-has-lang", "image-alt", "label", "button-name", "color-contrast"):
        assert rule in found
