"""Screenshots of the main screens, for a person to look at (artifacts/screenshots/)."""

import pytest
from playwright.sync_api import expect

from seminar import services
from tests.browser.support import (
    act_as,
    screenshot,
    seed_class,
    sign_in,
    step_index,
    urlopen_status,
    wait_live,
    wait_snapshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
PROJECTOR = {"width": 1920, "height": 1080}
PHONE = {"width": 360, "height": 740}


def test_screenshots_of_the_main_screens(server, pages):
    session, people, _ = seed_class()
    code, base = session.code, server.url
    lobby = step_index(session, "lobby")
    question = step_index(session, "question", 1)

    home = pages.open("home", viewport=LAPTOP)
    home.goto("/")
    screenshot(home, "home-1366")
    home.goto(f"/j/{code}")
    expect(home.get_by_label("Your name")).to_be_visible()
    screenshot(home, "join-1366")
    home.goto("/accounts/login/")
    screenshot(home, "login-1366")

    # The room: Ana answered (she reads classmates' answers), Eve has not (the form, the gate).
    ana = pages.open("ana", viewport=LAPTOP)
    act_as(ana, base, people["Ana"])
    ana.goto(f"/s/{code}/")
    wait_snapshot(ana)
    screenshot(ana, "room-question-answered-1366")
    screenshot(ana, "room-question-answered-1366-full", full_page=True)
    eve = pages.open("eve", viewport=LAPTOP)
    act_as(eve, base, people["Eve"])
    eve.goto(f"/s/{code}/")
    wait_snapshot(eve)
    screenshot(eve, "room-question-unanswered-1366")
    phone = pages.open("phone", viewport=PHONE, is_mobile=True, has_touch=True)
    act_as(phone, base, people["Ana"])
    phone.goto(f"/s/{code}/")
    wait_snapshot(phone)
    screenshot(phone, "room-question-phone-360")
    screenshot(phone, "room-question-phone-360-full", full_page=True)

    # The board on a question with answers, on a laptop and on a projector.
    board = pages.open("board", viewport=LAPTOP)
    board.goto(f"/s/{code}/board/")
    wait_snapshot(board)
    screenshot(board, "board-question-1366")
    # The join code is never split across lines, however narrow its column.
    code_box = board.locator(".board-url .nowrap").bounding_box()
    line = board.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('.board-url')).lineHeight)"
    )
    assert code_box["height"] < 1.5 * line
    assert "{#" not in board.locator("body").inner_text()  # no template syntax leaks
    board.set_viewport_size(PROJECTOR)
    screenshot(board, "board-question-1920")

    # The console.
    console = pages.open("facilitator", viewport=LAPTOP)
    sign_in(console, base)
    console.goto(f"/facilitate/{code}/")
    wait_live(console)
    screenshot(console, "console-1366")
    screenshot(console, "console-1366-full", full_page=True)
    console.goto("/facilitate/")
    screenshot(console, "sessions-1366")
    if urlopen_status(f"{base}/facilitate/{code}/summary/") != 404:
        console.goto(f"/facilitate/{code}/summary/")
        screenshot(console, "summary-1366")

    # The board and the room in the lobby, and the room on a theme on a phone.
    services.step_go(session=session, by=session.facilitator, to=lobby)
    board.reload()
    wait_snapshot(board)
    screenshot(board, "board-lobby-1920")
    board.set_viewport_size(LAPTOP)
    board.reload()
    wait_snapshot(board)
    screenshot(board, "board-lobby-1366")
    services.step_go(session=session, by=session.facilitator, to=step_index(session, "theme", 1))
    phone.reload()
    wait_snapshot(phone)
    screenshot(phone, "room-theme-phone-360")
    services.step_go(session=session, by=session.facilitator, to=question)
