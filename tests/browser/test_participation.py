"""Participation in the browser (issue 17, part 3): the console's panel on a 1366×768 laptop
with a class, following a student's post live, equal to its reload, never on the board or a
phone; and the summary's section."""

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    LIVE_MS,
    SCREENSHOTS,
    act_as,
    screenshot,
    seed_big_class,
    wait_live,
)
from tests.browser.test_board_fits import PROJECTORS, open_board, open_console
from tests.browser.test_console_fits import in_view

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_panel_follows_a_post_and_only_the_console_shows_it(server, pages):
    # 20 here while question 1 was open, 14 answered: Students 15–20 are silent.
    session, people = seed_big_class(students=20, answers=14)
    board = open_board(pages, server, session, PROJECTORS[0])
    console = open_console(pages, server, session)
    phone = pages.open("phone", viewport={"width": 390, "height": 844})
    act_as(phone, server.url, people[14])
    phone.goto(f"{server.url}/s/{session.code}/")
    wait_live(phone)

    panel = console.locator("#participation")
    counts = panel.locator(".participation-counts")
    expect(counts).to_have_text("14 of 20 present posted · 6 silent · 14 posts")
    # The top 15% of 20 is 3 students, with 3 of the 14 posts; 14 ones and 6 zeros: Gini 0.30.
    expect(panel).to_contain_text("The most active 15% (3 students) wrote 21% of the posts.")
    expect(panel).to_contain_text("Spread 0.30")
    silent = panel.locator("#participation-silent li")
    expect(silent).to_have_count(6)
    expect(silent.first).to_contain_text("Student 15")
    # Student 15's phone is connected: marked here now, someone to invite.
    expect(silent.first).to_have_class("is-online", timeout=LIVE_MS)
    expect(panel.locator("#participation-silent li.is-online")).to_have_count(1)
    cells = panel.locator("tbody tr").first.locator("th, td")
    expect(cells).to_have_text(["1", "20", "14", "0", "0", "6"])  # Q, here, answered, ... silent
    # The question on screen is still run without scrolling, the panel beside it.
    assert in_view(console.locator("#qc-1").get_by_role("button", name="Close question"))
    panel.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    panel.screenshot(path=str(SCREENSHOTS / "console-participation-panel.png"), caret="initial")
    screenshot(console, "console-1366x768-participation")

    # Student 15 posts from the phone: the console follows, without a reload.
    phone.get_by_label("Your answer").first.fill("I was quiet, but here is my answer.")
    phone.get_by_role("button", name="Post answer").first.click()
    expect(counts).to_have_text("15 of 20 present posted · 5 silent · 15 posts", timeout=LIVE_MS)
    expect(panel).to_contain_text("wrote 20% of the posts")
    expect(panel).to_contain_text("Spread 0.25")
    expect(silent).to_have_count(5)
    expect(silent.first).to_contain_text("Student 16")

    # The live panel equals its reload.
    live = panel.inner_text()
    console.reload()
    wait_live(console)
    assert console.locator("#participation").inner_text() == live

    # Never on the board or a student's phone, before or after the post.
    for page in (board, phone):
        expect(page.locator("#participation")).to_have_count(0)
        body = page.locator("body").inner_text()
        assert "Participation" not in body and "silent" not in body.lower()
        assert "most active" not in body


def test_the_summary_has_a_participation_section(server, pages):
    session, _ = seed_big_class(students=20, answers=14)
    console = open_console(pages, server, session)
    console.goto(f"{server.url}/facilitate/{session.code}/summary/")
    section = console.locator(".summary-participation")
    expect(section).to_contain_text("Present but silent: Student 15, Student 16")
    expect(section.locator("tbody tr")).to_have_count(1)
    section.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    section.screenshot(path=str(SCREENSHOTS / "summary-participation.png"), caret="initial")
    assert not pages.script_errors()
