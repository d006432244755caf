"""Discussing answers in the browser (issue 16): the facilitator spotlights an answer on the
console, the projector shows it large, a student's phone says which one; N moves to the
next answer; End spotlight brings the answers back; each live page equals its reload."""

import pytest
from playwright.sync_api import expect

from tests.browser.support import LIVE_MS, act_as, screenshot, seed_big_class, wait_live
from tests.browser.test_board_fits import FIT, PROJECTORS, open_board, open_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_spotlit_answer_fills_the_board_and_the_class_sees_which(server, pages):
    session, people = seed_big_class(students=12, answers=10)
    board = open_board(pages, server, session, PROJECTORS[1])
    console = open_console(pages, server, session)
    phone = pages.open("phone", viewport={"width": 390, "height": 844})
    act_as(phone, server.url, people[0])
    phone.goto(f"{server.url}/s/{session.code}/")
    wait_live(phone)

    first = console.locator("#answers-1 li.answer").first
    text = first.locator(".answer-text").inner_text()
    first.get_by_role("button", name="Spotlight").click()
    stage = board.locator("#stage")
    expect(stage).to_have_attribute("data-kind", "spotlight", timeout=LIVE_MS)
    expect(stage.locator(".spotlight-answer")).to_have_text(text)
    expect(board.locator("#stage li.answer")).to_have_count(0)
    fit = board.evaluate(FIT)
    assert fit["docOver"] <= 0 and fit["stageOver"] <= 1, fit
    screenshot(board, "board-1280x720-spotlight")
    expect(phone.locator(".spotlight-note")).to_contain_text("Being discussed now")
    screenshot(phone, "room-390x844-spotlight")
    expect(console.locator(".spotlight-panel")).to_contain_text(text[:40])
    expect(first).to_contain_text("On the board now")
    screenshot(console, "console-1366x768-spotlight")

    # N: the next answer in the console's list takes the board; the first stays discussed.
    console.locator("body").press("n")
    second = console.locator("#answers-1 li.answer").nth(1)
    expect(second).to_contain_text("On the board now", timeout=LIVE_MS)
    expect(stage.locator(".spotlight-answer")).to_have_text(
        second.locator(".answer-text").inner_text()
    )
    expect(first).to_contain_text("Discussed")
    # The filter: not yet discussed hides the two discussed ones.
    console.get_by_label("Not discussed yet").first.check()
    expect(first).to_be_hidden()
    console.get_by_label("All").first.check()

    # A reload of each page shows what the live page shows.
    for page, region in ((board, "#stage"), (phone, "#stage"), (console, "#agenda")):
        live = page.locator(region).inner_text()
        page.reload()
        wait_live(page)
        assert page.locator(region).inner_text() == live

    console.locator("#spotlight-end").click()
    expect(stage).to_have_attribute("data-kind", "question", timeout=LIVE_MS)
    expect(board.locator("#board-pager")).to_contain_text("of 10")
    expect(phone.locator(".spotlight-note")).to_have_count(0)


def test_approve_first_holds_an_answer_until_the_console_approves_it(server, pages):
    from seminar import services

    session, people = seed_big_class(students=12, answers=10)
    services.session_update_settings(session=session, by=session.facilitator, approve_first=True)
    board = open_board(pages, server, session, PROJECTORS[0])
    console = open_console(pages, server, session)
    phone = pages.open("phone", viewport={"width": 390, "height": 844})
    act_as(phone, server.url, people[11])  # has not answered yet
    phone.goto(f"{server.url}/s/{session.code}/")
    wait_live(phone)
    phone.get_by_label("Your answer").first.fill("Hold this one for review, please.")
    phone.get_by_role("button", name="Post answer").first.click()
    expect(phone.locator(".my-answer")).to_contain_text("Waiting for review", timeout=LIVE_MS)
    expect(board.locator("#stage")).to_contain_text("1 waiting for review", timeout=LIVE_MS)
    expect(board.locator("#stage")).not_to_contain_text("Hold this one")
    waiting = console.locator("#answers-1 li.is-waiting")
    expect(waiting).to_contain_text("Hold this one", timeout=LIVE_MS)
    # The queue heads the console's list, above the pinned answer.
    expect(console.locator("#answers-1 li.answer").first).to_contain_text("Hold this one")
    screenshot(console, "console-1366x768-waiting")
    waiting.get_by_role("button", name="Approve").click()
    expect(board.locator("#stage")).to_contain_text("Hold this one", timeout=LIVE_MS)
    expect(board.locator("#stage")).not_to_contain_text("waiting for review")
    expect(phone.locator(".my-answer")).not_to_contain_text("Waiting for review")
    for page, region in ((board, "#stage"), (phone, "#q-1"), (console, "#cq-1")):
        live = page.locator(region).inner_text()
        page.reload()
        wait_live(page)
        assert page.locator(region).inner_text() == live
