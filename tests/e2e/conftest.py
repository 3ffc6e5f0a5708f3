"""Browser journeys: Playwright driving Debian's Chromium against pytest-django's live server.

Never `playwright install`: the browser comes from Debian (`apt-get install chromium`),
installed by `make test`.
"""

import os

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# around it are ordinary synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
    }


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-CA", "timezone_id": "America/Vancouver"}


def login_in_browser(page, live_server, username, password="correct-horse-battery"):
    """Log in through allauth's real login form."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


# The axe-core rules the pages are held to (axe-playwright-python ships axe-core).
AXE_RULES = ["scrollable-region-focusable", "empty-table-header", "duplicate-id-aria", "label", "button-name",
             "link-name", "th-has-data-cells", "aria-valid-attr-value"]


def axe_violations(page, rules=AXE_RULES) -> list[str]:
    """Run axe on the page as it stands; one line per violation (rule, then the offending elements)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "rule", "values": list(rules)}})
    return [
        f"{v['id']}: " + "; ".join(" ".join(node["target"]) for node in v["nodes"])
        for v in results.response["violations"]
    ]
