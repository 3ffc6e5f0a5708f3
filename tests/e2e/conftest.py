"""Browser journeys: Playwright driving Debian's Chromium against pytest-django's live server.

Never `playwright install`: the browser comes from Debian (`apt-get install chromium`),
installed by `make test`.
"""

import functools
import hashlib
import os
from pathlib import Path

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


def fill_date(page, day_box: str, date) -> None:
    """A date of birth in its three boxes (patients.dates): the day box's selector; the
    month and year boxes are its id with _month and _year."""
    page.fill(day_box, str(date.day))
    page.fill(f"{day_box}_month", str(date.month))
    page.fill(f"{day_box}_year", str(date.year))


# axe-core from the npm registry, vendored (tests/e2e/vendor/README.md): no CDN, no copy
# bundled inside another package. Its checksum is checked before it is used.
AXE_VERSION = "4.14.1"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
AXE_FILE = Path(__file__).parent / "vendor" / f"axe-core-{AXE_VERSION}" / "axe.min.js"
# Every WCAG 2.0-2.2 A and AA rule and axe's best practices run on each page checked. A
# serious or critical violation fails the page; so does any violation, whatever axe
# rates it, of the rules below, which the pages met before and must keep meeting.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
AXE_FAILING_IMPACTS = {"serious", "critical"}
AXE_RULES = ["scrollable-region-focusable", "empty-table-header", "duplicate-id-aria", "label", "button-name",
             "link-name", "th-has-data-cells", "aria-valid-attr-value",
             "html-has-lang", "image-alt", "duplicate-id", "color-contrast", "heading-order", "list", "region"]


@functools.cache
def axe_source() -> str:
    data = AXE_FILE.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert digest == AXE_SHA256, f"{AXE_FILE} is not axe-core {AXE_VERSION} as vendored ({digest})"
    return data.decode()


def axe_results(page) -> dict:
    """axe-core's run over the page as it stands (injected through Playwright's evaluate,
    which the page's Content-Security-Policy does not govern)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    return page.evaluate(
        "(options) => axe.run(document, options)",
        {"resultTypes": ["violations"], "runOnly": {"type": "tag", "values": AXE_TAGS}},
    )


def axe_violations(page, rules=AXE_RULES) -> list[str]:
    """The failing violations on the page: one line each (rule, impact, the offending elements)."""
    results = axe_results(page)
    assert results["testEngine"]["version"] == AXE_VERSION
    found = results["violations"]
    return [
        f"{v['id']} ({v['impact']}): " + "; ".join(" ".join(node["target"]) for node in v["nodes"])
        for v in found
        if v["impact"] in AXE_FAILING_IMPACTS or v["id"] in rules
    ]


# What every page must satisfy, checked in the browser on the rendered page: the language is
# declared, one h1, every visible form control has an accessible name (a <label for>, a
# wrapping label, aria-label or aria-labelledby), every link and button has words, every
# image an alt, every table header a scope, and ids are unique (labels point at one control).
_A11Y_JS = """() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push("html has no lang");
  const h1s = document.querySelectorAll("h1");
  if (h1s.length !== 1) problems.push(`${h1s.length} h1 elements`);
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden" || !visible(el)) continue;
    const named = el.getAttribute("aria-label") || el.getAttribute("aria-labelledby") || el.closest("label")
      || (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`));
    if (!named) problems.push(`unlabelled ${el.tagName.toLowerCase()} name=${el.name}`);
  }
  for (const el of document.querySelectorAll("a[href], button")) {
    if (visible(el) && !(el.innerText.trim() || el.getAttribute("aria-label"))) problems.push(`nameless ${el.outerHTML.slice(0, 80)}`);
  }
  for (const img of document.querySelectorAll("img")) if (!img.hasAttribute("alt")) problems.push(`img without alt ${img.src}`);
  for (const th of document.querySelectorAll("thead th")) if (!th.getAttribute("scope")) problems.push(`th without scope: ${th.innerText}`);
  const ids = {};
  for (const el of document.querySelectorAll("[id]")) ids[el.id] = (ids[el.id] || 0) + 1;
  for (const [id, n] of Object.entries(ids)) if (n > 1) problems.push(`id ${id} used ${n} times`);
  return problems;
}"""


def assert_accessible(page):
    """The page as it stands passes axe's rules and the structural checks above."""
    problems = page.evaluate(_A11Y_JS) + axe_violations(page)
    assert problems == [], f"{page.url}: {problems}"


# --- no journey may break the Content-Security-Policy ------------------------------------

# Injected by Playwright (not subject to the page's CSP): every violation is also logged,
# whatever Chromium itself chooses to print.
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
                " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


class _CSPWatch:
    def __init__(self):
        self.violations = []

    def watch(self, context):
        context.add_init_script(_REPORT_VIOLATIONS)
        context.on("console", self._console)
        return context

    def _console(self, message):
        if message.type == "error" and ("Content Security Policy" in message.text or "CSP violation" in message.text):
            self.violations.append(message.text)


@pytest.fixture
def csp_watch():
    watch = _CSPWatch()
    yield watch
    assert not watch.violations, "the page broke its Content-Security-Policy:\n" + "\n".join(watch.violations)


@pytest.fixture
def context(context, csp_watch):
    return csp_watch.watch(context)


@pytest.fixture(autouse=True)
def _watch_every_new_context(request, csp_watch, monkeypatch):
    """Journeys that open their own contexts (one per role) are watched too."""
    if "browser" not in request.fixturenames:
        return
    browser = request.getfixturevalue("browser")
    new_context = browser.new_context
    monkeypatch.setattr(browser, "new_context", lambda *args, **kwargs: csp_watch.watch(new_context(*args, **kwargs)))
