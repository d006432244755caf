"""A round in the browser (issue 17): the console runs question 1 as Think, with a countdown
the board and a phone (whose clock is wrong) count down together to the server's deadline
and that moves the round on to Pair by itself at zero; then Share and Lock. Each live page
equals its reload."""

import difflib
import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import LIVE_MS, act_as, screenshot, seed_big_class, wait_live
from tests.browser.test_board_fits import FIT, PROJECTORS, open_board, open_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def post_from_console(console, path: str, form: dict) -> None:
    """What the console's forms send, with its own cookies and CSRF token (for a countdown
    shorter than the console offers, so the test need not wait 30 seconds)."""
    token = console.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']")
    response = console.request.post(
        console.url.split("/facilitate/")[0] + path,
        form=form,
        headers={"X-CSRFToken": token, "HX-Request": "true", "Referer": console.url},
    )
    assert response.status == 204, response.text()


COUNTDOWN_LINE = re.compile(r"^(\d+:\d\d|Time's up)( then the next phase)?$")


def region_text(page, selector: str) -> str:
    """What a person reads in a region (its rendered text, folds as they are), without a
    ticking countdown and the blank lines between swapped elements."""
    text = page.locator(selector).inner_text()
    lines = (line.strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line and not COUNTDOWN_LINE.match(line))


def test_a_full_round_with_a_countdown_reaching_zero(server, pages):
    session, people = seed_big_class(students=12, answers=5)
    board = open_board(pages, server, session, PROJECTORS[1])
    console = open_console(pages, server, session)
    phone = pages.open("phone", viewport={"width": 390, "height": 844})
    # The phone's clock is an hour and a half ahead: its countdown follows the server's.
    phone.add_init_script("(() => { const now = Date.now; Date.now = () => now() + 5400000; })()")
    act_as(phone, server.url, people[6])  # has not answered yet
    phone.goto(f"{server.url}/s/{session.code}/")
    wait_live(phone)

    # Think, from the console's round controls: answers leave the board, the phone says why.
    round_box = console.locator("#rcd-1")
    round_box.locator("summary").click()
    round_box.get_by_role("button", name="Think", exact=True).click()
    expect(board.locator("#q-1-round .is-current")).to_have_text("Think", timeout=LIVE_MS)
    expect(board.locator("#stage li.answer")).to_have_count(0)
    expect(board.locator(".board-private")).to_be_visible()
    phone.get_by_label("Your answer").first.fill("Slow down and read the code.")
    phone.get_by_role("button", name="Post answer").first.click()
    expect(phone.locator("#q-1-mine .my-answer")).to_be_visible(timeout=LIVE_MS)
    expect(phone.locator("#q-1-answers")).to_contain_text("Think on your own first")
    expect(phone.locator("#answers-1 li.answer")).to_have_count(0)

    # A 6-second countdown that moves on by itself: both screens count to the same deadline.
    post_from_console(
        console,
        f"/facilitate/{session.code}/q/1/round/",
        {"phase": "think", "seconds": "6", "advances": "1"},
    )
    clock = re.compile(r"^0:0[1-6]$")
    expect(board.locator("#q-1-round .countdown-time")).to_have_text(clock, timeout=LIVE_MS)
    expect(phone.locator("#q-1-round .countdown-time")).to_have_text(clock, timeout=LIVE_MS)
    fit = board.evaluate(FIT)
    assert fit["docOver"] <= 0 and fit["stageOver"] <= 1, fit
    screenshot(board, "board-1280x720-round-think")
    screenshot(phone, "room-390x844-round-think")
    board_left = int(board.locator("#q-1-round .countdown-time").inner_text()[-1])
    phone_left = int(phone.locator("#q-1-round .countdown-time").inner_text()[-1])
    assert abs(board_left - phone_left) <= 1

    # Zero: the server moves the round to Pair; the phone sees its table, the board no answers.
    expect(board.locator("#q-1-round .is-current")).to_have_text("Pair", timeout=LIVE_MS + 6000)
    expect(phone.locator("#q-1-round .is-current")).to_have_text("Pair", timeout=LIVE_MS)
    expect(phone.locator("#q-1-answers h4")).to_contain_text("Table", timeout=LIVE_MS)
    expect(console.locator("#rc-1 summary")).to_contain_text("Round: Pair")
    screenshot(phone, "room-390x844-round-pair")
    mates = phone.locator("#q-1-answers h4").inner_text()
    shown = phone.locator("#answers-1 > li.answer")
    for i in range(shown.count()):
        author = re.search(r"\((Student \d+)\)", shown.nth(i).inner_text())
        assert author is None or author.group(1) in mates  # only their table's answers

    # Share: every answer, on the board and the phone.
    console.locator("#rcd-1").get_by_role("button", name="Share", exact=True).click()
    expect(board.locator("#stage li.answer").first).to_be_visible(timeout=LIVE_MS)
    expect(phone.locator("#answers-1 > li.answer")).to_have_count(6, timeout=LIVE_MS)
    # Lock: no more edits on the phone.
    console.locator("#rcd-1").get_by_role("button", name="Lock", exact=True).click()
    expect(phone.locator("#q-1-round")).to_have_attribute("data-phase", "lock", timeout=LIVE_MS)
    expect(phone.locator("#q-1-mine .edit-answer")).to_be_hidden()
    screenshot(board, "board-1280x720-round-lock")
    screenshot(console, "console-1366x768-round")

    for page, region in ((board, "#stage"), (phone, "#q-1"), (console, "#cq-1")):
        live = region_text(page, region)
        page.reload()
        wait_live(page)
        fresh = region_text(page, region)
        diff = "\n".join(difflib.unified_diff(fresh.splitlines(), live.splitlines(), lineterm=""))
        assert fresh == live, f"{region} live differs from its reload:\n{diff}"
