"""A moderator on a phone (issue 16), end to end: the console makes a moderator link, a phone
(390×844) scans it and claims it, then approves a waiting answer, hides one, pins one and
spotlights one; the projector (1280×720) follows and never shows a moderation control; the
phone's controls fit its width and its live page equals its reload; revoking the link closes
the phone's page."""

import pytest
from playwright.sync_api import expect

from seminar.models import Answer
from tests.browser.support import (
    LIVE_MS,
    SCREENSHOTS,
    act_as,
    screenshot,
    seed_big_class,
    wait_live,
)
from tests.browser.test_board_fits import PROJECTORS, open_board, open_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}

# Every control of the moderator's page: inside the screen's width, and big enough for a thumb.
CONTROLS = """() => {
  const wide = document.scrollingElement.scrollWidth - window.innerWidth;
  const controls = Array.from(document.querySelectorAll('#live-root button')).map((b) => {
    const r = b.getBoundingClientRect();
    return {text: b.textContent.trim(), left: r.left, right: r.right, height: r.height};
  });
  return {wide, controls, width: window.innerWidth};
}"""


def test_a_moderator_on_a_phone_approves_hides_pins_and_spotlights(server, pages):
    from seminar import services

    session, people = seed_big_class(students=8, answers=5)
    services.session_update_settings(session=session, by=session.facilitator, approve_first=True)
    board = open_board(pages, server, session, PROJECTORS[1])
    console = open_console(pages, server, session)

    # The console makes a link; only this console sees it (URL and QR code).
    console.get_by_role("button", name="Create moderator link").click()
    link = console.locator(".moderator-url a")
    expect(link).to_be_visible(timeout=LIVE_MS)
    expect(console.locator(".moderator-qr")).to_be_visible()
    url = link.get_attribute("href")
    expect(console.locator("#moderators")).to_contain_text("not used yet")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    panel = console.locator(".moderators-panel")
    panel.screenshot(path=str(SCREENSHOTS / "console-moderators-panel.png"), caret="initial")

    phone = pages.open("moderator", viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto(url)
    expect(phone.get_by_role("heading", level=1)).to_contain_text("on this device")
    phone.get_by_role("button", name="Moderate on this device").click()
    expect(phone).to_have_url(f"{server.url}/facilitate/{session.code}/moderate/")
    wait_live(phone)
    expect(console.locator("#moderators")).to_contain_text("in use on a device", timeout=LIVE_MS)
    # Not a region: the link stays on the console that made it, until it reloads.
    expect(console.locator(".moderator-url")).to_be_visible()
    # The link is this phone's now: another device is told so.
    other = pages.open("other", viewport=PHONE)
    other.goto(url)
    expect(other.locator("main")).to_contain_text("already in use on another device")

    # A student posts: the answer waits; the phone gets it live and approves it.
    student = pages.open("student", viewport=PHONE)
    act_as(student, server.url, people[6])  # has not answered yet
    student.goto(f"{server.url}/s/{session.code}/")
    wait_live(student)
    student.get_by_label("Your answer").first.fill("Held for the moderator.")
    student.get_by_role("button", name="Post answer").first.click()
    expect(student.locator(".my-answer")).to_contain_text("Waiting for review", timeout=LIVE_MS)
    answer = Answer.objects.get(text="Held for the moderator.")
    waiting = phone.locator(f"#answer-{answer.pk}")
    expect(waiting).to_contain_text("Waiting for review", timeout=LIVE_MS)
    expect(phone.locator("#mod-review-1")).to_contain_text("1 waiting for review")
    expect(board.locator("#stage")).to_contain_text("1 waiting for review", timeout=LIVE_MS)
    expect(board.locator("#stage")).not_to_contain_text("Held for the moderator.")
    fit = phone.evaluate(CONTROLS)
    screenshot(phone, "moderator-390x844-queue")
    waiting.get_by_role("button", name="Approve").click()
    expect(board.locator("#stage")).to_contain_text("Held for the moderator.", timeout=LIVE_MS)
    expect(phone.locator("#mod-review-1")).not_to_contain_text("waiting")

    # Hide one, pin one, spotlight one.
    items = phone.locator("#answers-1 li.answer:not(.is-hidden)")
    hidden_text = items.last.locator(".answer-text").inner_text()  # the oldest, not pinned
    expect(board.locator("#stage")).to_contain_text(hidden_text)
    items.last.get_by_role("button", name="Hide").click()
    expect(board.locator("#stage")).not_to_contain_text(hidden_text, timeout=LIVE_MS)
    pinned = phone.locator(f"#answer-{answer.pk}")
    pinned.get_by_role("button", name="Pin").click()
    expect(board.locator(f"#stage #answer-{answer.pk} .badge.pinned")).to_be_visible(
        timeout=LIVE_MS
    )
    spot = phone.locator("#answers-1 li.answer:not(.is-hidden)").nth(2)
    spot_text = spot.locator(".answer-text").inner_text()
    spot.get_by_role("button", name="Spotlight").click()
    stage = board.locator("#stage")
    expect(stage).to_have_attribute("data-kind", "spotlight", timeout=LIVE_MS)
    expect(stage.locator(".spotlight-answer")).to_have_text(spot_text)
    expect(phone.locator("#mod-spotlight")).to_contain_text("On the board now", timeout=LIVE_MS)
    expect(console.locator(".spotlight-panel")).to_contain_text(spot_text[:40], timeout=LIVE_MS)
    screenshot(board, "board-1280x720-moderator-spotlight")
    phone.evaluate("window.scrollTo(0, 0)")
    screenshot(phone, "moderator-390x844-spotlight")
    screenshot(phone, "moderator-390x844-full", full_page=True)

    # The projector never shows a moderation control.
    for name in ("Approve", "Hide", "Unhide", "Pin", "Unpin", "Spotlight", "End spotlight"):
        expect(board.get_by_role("button", name=name, exact=True)).to_have_count(0)
    expect(board.locator("body")).not_to_contain_text("Approve")

    # The phone: nothing wider than the screen, every control in reach and thumb-sized; no
    # control of the console's (step, end, settings, notes, sharing).
    for check in (fit, phone.evaluate(CONTROLS)):
        assert check["wide"] <= 0, check
        for c in check["controls"]:
            assert c["left"] >= 0 and c["right"] <= check["width"], c
            assert c["height"] >= 40, c
    for name in ("Next step", "End session", "Open question", "Close question", "Apply"):
        expect(phone.get_by_role("button", name=name)).to_have_count(0)

    # The live page equals its reload.
    live = phone.locator("#live-root").inner_text()
    phone.reload()
    wait_live(phone)
    assert phone.locator("#live-root").inner_text() == live

    # End the spotlight from the phone, then the console revokes the link: the phone's page
    # closes, and its next request is refused with the reason.
    phone.locator("#mod-spotlight").get_by_role("button", name="End spotlight").click()
    expect(stage).to_have_attribute("data-kind", "question", timeout=LIVE_MS)
    console.get_by_role("button", name="Revoke moderator link 1").click()
    expect(phone.locator("#live-status")).to_contain_text("Not allowed", timeout=LIVE_MS)
    expect(console.locator("#moderators")).to_contain_text("revoked at", timeout=LIVE_MS)
    phone.reload()
    expect(phone.locator("main")).to_contain_text("This moderator link was revoked")
