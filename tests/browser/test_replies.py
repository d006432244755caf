"""Replies with a move in the browser (issue 16): two students reply to a classmate's answer
from a phone and a laptop (Challenge, Question, each with its sentence starter), the thread
grows live on every screen, the console hides a reply, the board's spotlight shows the answer
with its replies, the author edits their reply; every live page equals its reload."""

import pytest
from playwright.sync_api import expect

from tests.browser.support import LIVE_MS, act_as, screenshot, seed_big_class, wait_live
from tests.browser.test_board_fits import FIT, PROJECTORS, open_board, open_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NO_SIDEWAYS = "() => document.documentElement.scrollWidth <= window.innerWidth"


def open_room(pages, server, session, person, name, viewport):
    page = pages.open(name, viewport=viewport)
    act_as(page, server.url, person)
    page.goto(f"{server.url}/s/{session.code}/")
    wait_live(page)
    return page


def item(page, author: str):
    """The answer by `author` in question 1's list (its own li, not a reply's)."""
    return page.locator("#answers-1 > li.answer").filter(has_text=f"({author})").first


def reply(page, author: str, move: str, more: str):
    answer = item(page, author)
    answer.locator(".reply-box > summary").click()
    answer.get_by_role("button", name=move).click()
    box = answer.get_by_label("Your reply", exact=True)
    expect(box).to_be_focused()
    starter = box.input_value()
    assert starter and starter.strip(), "the move's sentence starter is in the box"
    box.press_sequentially(more)
    answer.get_by_role("button", name="Post reply").click()
    return starter + more


def test_students_reply_with_moves_and_every_screen_follows(server, pages):
    session, people = seed_big_class(students=12, answers=10)
    board = open_board(pages, server, session, PROJECTORS[0])
    console = open_console(pages, server, session)
    phone = open_room(pages, server, session, people[1], "phone", {"width": 390, "height": 844})
    laptop = open_room(pages, server, session, people[2], "laptop", {"width": 1366, "height": 768})

    # The phone challenges Student 01's answer; it threads under it on the laptop at once.
    challenge = reply(phone, "Student 01", "Challenge", "the tests pass but nobody read them.")
    assert challenge.startswith("I see it differently: ")
    expect(item(laptop, "Student 01").locator(".reply-list")).to_contain_text(
        challenge, timeout=LIVE_MS
    )
    expect(item(laptop, "Student 01").locator(".move-counts")).to_have_text("Replies: 1 Challenge")
    expect(phone.locator("#q-1-mine .my-replies")).to_contain_text(challenge, timeout=LIVE_MS)
    # The reply form closed and emptied itself: nothing left to post twice.
    expect(item(phone, "Student 01").locator(".reply-box")).not_to_have_attribute("open", "")
    assert phone.evaluate(NO_SIDEWAYS)

    # The laptop asks a question under the same answer, and upvotes the phone's reply.
    question = reply(laptop, "Student 01", "Question", "what you reviewed first?")
    assert question.startswith("Could you say more about ")
    thread = item(phone, "Student 01").locator(".reply-list")
    expect(thread).to_contain_text(question, timeout=LIVE_MS)
    expect(item(phone, "Student 01").locator(".move-counts")).to_contain_text("1 Question")
    their_reply = item(laptop, "Student 01").locator("li.reply").filter(has_text=challenge)
    their_reply.get_by_role("button", name="Upvote").click()
    expect(phone.locator("li.reply").filter(has_text=challenge)).to_contain_text(
        "1 vote", timeout=LIVE_MS
    )
    # No reply box under one's own reply or answer, no upvote of one's own.
    mine = phone.locator("li.reply").filter(has_text=challenge)
    expect(mine.get_by_role("button", name="Upvote")).to_be_hidden()
    expect(item(phone, "Student 02").locator(".reply-box")).to_be_hidden()
    screenshot(phone, "room-390x844-replies")
    screenshot(laptop, "room-1366x768-replies")

    # The console has the thread with its moderation; the board's spotlight shows it.
    console_item = console.locator("#answers-1 > li.answer").filter(has_text="(Student 01)")
    expect(console_item.locator(".reply-list")).to_contain_text(question, timeout=LIVE_MS)
    console_item.get_by_role("button", name="Spotlight").click()
    spot = board.locator("#stage .spotlight-thread")
    expect(spot).to_contain_text(challenge, timeout=LIVE_MS)
    expect(spot).to_contain_text(question)
    expect(board.locator("#stage .spotlight-meta")).to_contain_text("1 Challenge")
    fit = board.evaluate(FIT)
    assert fit["docOver"] <= 0 and fit["stageOver"] <= 1, fit
    expect(board.locator("#stage")).not_to_contain_text("Hide")
    screenshot(board, "board-1920x1080-spotlight-replies")
    screenshot(console, "console-1366x768-replies")

    # The console hides the question: it leaves the phone and the board, stays on the console.
    console_item.locator("li.reply").filter(has_text=question).get_by_role(
        "button", name="Hide"
    ).click()
    expect(thread).not_to_contain_text(question, timeout=LIVE_MS)
    expect(spot).not_to_contain_text(question, timeout=LIVE_MS)
    expect(console_item.locator("li.reply.is-hidden")).to_contain_text(question)

    # The phone edits its reply from its own box; the laptop sees the new text.
    my_reply = phone.locator("#q-1-mine .my-reply").first
    my_reply.locator("summary").click()
    my_reply.get_by_label("Your reply", exact=True).fill(
        "I see it differently: read the diff first."
    )
    my_reply.get_by_role("button", name="Save changes").click()
    expect(item(laptop, "Student 01").locator(".reply-list")).to_contain_text(
        "read the diff first.", timeout=LIVE_MS
    )
    expect(board.locator("#stage .spotlight-thread")).to_contain_text("read the diff first.")
    # The phone's own save has come back too (its box, the edit folded away): the laptop's
    # frame can arrive before the phone's response on a busy machine.
    expect(phone.locator("#q-1-mine details.edit-answer[open]")).to_have_count(0, timeout=LIVE_MS)

    # Every live page equals its reload.
    for page, region in (
        (board, "#stage"),
        (phone, "#q-1"),
        (laptop, "#q-1"),
        (console, "#cq-1"),
    ):
        live = page.locator(region).inner_text()
        page.reload()
        wait_live(page)
        assert page.locator(region).inner_text() == live, region
