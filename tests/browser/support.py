"""Helpers for browser tests: data made through the ORM and services, and page checks."""

import re
from pathlib import Path
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from tests.servers import ROOT

PASSWORD = "correct-horse-battery"
GUIDE_FILE = ROOT / "guide" / "data" / "dangerous-illusion-of-ai-coding.txt"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
# Time for a live update to reach another browser (usually well under a second).
LIVE_MS = 10_000


def make_facilitator(username: str = "ada", password: str = PASSWORD):
    return get_user_model().objects.create_user(username, password=password)


def make_guide():
    """The default guide, imported the way `load_guide` does."""
    from guide.services import guide_import

    return guide_import(text=GUIDE_FILE.read_text(encoding="utf-8"), filename=GUIDE_FILE.name).guide


def make_session(facilitator=None, guide=None, **kwargs):
    from seminar import services

    return services.session_start(
        facilitator=facilitator or make_facilitator(), guide=guide or make_guide(), **kwargs
    )


def step_index(session, kind: str, number: int | None = None) -> int:
    from seminar import selectors

    for step in selectors.agenda(session):
        if step.kind == kind and (number is None or step.number == number):
            return step.index
    raise LookupError(f"no {kind} step {number or ''} in the agenda")


def sign_in(page: Page, base_url: str, username: str = "ada", password: str = PASSWORD) -> None:
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/facilitate/$"))


def join_by_link(page: Page, base_url: str, code: str, name: str) -> None:
    page.goto(f"{base_url}/j/{code}")
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Join").click()
    expect(page).to_have_url(f"{base_url}/s/{code}/")
    wait_live(page)


def wait_live(page: Page, timeout: float = LIVE_MS) -> None:
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live", timeout=timeout)


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def same_origin(url: str, base_url: str) -> bool:
    """True for http(s)/ws(s) URLs on the server's host and port, and for data: URIs."""
    if url.startswith(("data:", "blob:", "about:")):
        return True
    parts, base = urlsplit(url), urlsplit(base_url)
    return parts.hostname == base.hostname and parts.port == base.port
