"""Browser tests: a real server (manage.py serve) per test and a Chromium per test module.

- `server`: a fresh `manage.py serve` process on a free port, sharing the test database.
  Function-scoped, so pytest-django's flush after each transactional test never pulls data
  from under a long-lived server (it starts in about a second).
- `browser`: one Chromium per module (the Debian package, or SEMINAR_CHROMIUM, or Playwright's
  own download as a fallback). Module-scoped, not session-scoped: Playwright's sync API keeps
  an asyncio loop "running" in this thread while it is alive, which would break the async and
  ORM tests in other modules.
- `pages`: opens a page in a fresh browser context (its own cookies: one person each), records
  every request, websocket and console message, and checks at the end that nothing left the
  app's origin and no Content Security Policy violation was reported.

While Playwright is alive the test's own ORM calls run "inside" its loop, so Django's
async-safety check is relaxed for this process (never for the server, which runs without it).
"""

import os
import shutil
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.browser.support import SCREENSHOTS, same_origin
from tests.servers import Server

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
DESKTOP = {"width": 1366, "height": 768}


def chromium_executable() -> str | None:
    """SEMINAR_CHROMIUM, else the system chromium, else None (Playwright's own browser)."""
    for candidate in (
        os.environ.get("SEMINAR_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
    ):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="module")
def browser(django_db_setup):
    """One Chromium for the module. Depends on the test database so it is torn down first."""
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_executable(), args=CHROMIUM_ARGS, headless=True
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


def start_server(*, port: int | None = None, env: dict | None = None) -> Server:
    """A server process (manage.py serve) against the test database, without the test's
    async-safety relaxation."""
    server = Server(port=port, env={"SEMINAR_JOIN_RATE": "1000", **(env or {})}, log_name="browser")
    server.env.pop(ASYNC_UNSAFE, None)
    return server.start()


@pytest.fixture
def server(transactional_db, browser):
    server = start_server()
    yield server
    server.stop()


@dataclass
class Recorded:
    name: str
    page: Page
    requests: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Pages:
    """Pages in separate contexts (separate people), each with what it did on the network."""

    def __init__(self, browser, base_url: str):
        self.browser = browser
        self.base_url = base_url
        self.opened: list[Recorded] = []

    def open(self, name: str, *, viewport: dict | None = None, **context_args) -> Page:
        context = self.browser.new_context(
            viewport=viewport or DESKTOP, base_url=self.base_url, **context_args
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        rec = Recorded(name, page)
        page.on("request", lambda r: rec.requests.append(r.url))
        page.on("websocket", lambda ws: rec.websockets.append(ws.url))
        page.on("console", lambda m: rec.console.append(f"{m.type}: {m.text} [{page.url}]"))
        page.on("pageerror", lambda e: rec.errors.append(str(e)))
        self.opened.append(rec)
        return page

    def foreign_requests(self) -> list[str]:
        return [
            f"{rec.name}: {url}"
            for rec in self.opened
            for url in rec.requests + rec.websockets
            if not same_origin(url, self.base_url)
        ]

    def csp_violations(self) -> list[str]:
        return [
            f"{rec.name}: {msg}"
            for rec in self.opened
            for msg in rec.console
            if "Content Security Policy" in msg or "Content-Security-Policy" in msg
        ]

    def script_errors(self) -> list[str]:
        return [f"{rec.name}: {err}" for rec in self.opened for err in rec.errors]

    def close(self) -> None:
        for rec in self.opened:
            rec.page.context.close()


@pytest.fixture
def pages(request, browser, server):
    pages = Pages(browser, server.url)
    yield pages
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed:
        target = SCREENSHOTS / "failures"
        target.mkdir(parents=True, exist_ok=True)
        for rec in pages.opened:
            try:
                rec.page.screenshot(path=str(target / f"{request.node.name}-{rec.name}.png"))
            except Exception:  # noqa: BLE001 - best effort: the page may be gone
                pass
    try:
        if not failed:
            assert not pages.foreign_requests(), "Requests left the app's origin:\n" + "\n".join(
                pages.foreign_requests()
            )
            assert not pages.csp_violations(), "CSP violations:\n" + "\n".join(
                pages.csp_violations()
            )
            assert not pages.script_errors(), "Script errors:\n" + "\n".join(pages.script_errors())
    finally:
        pages.close()
