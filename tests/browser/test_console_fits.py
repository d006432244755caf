"""The facilitator's console on a 1366×768 laptop with a real class (issue 15): the core loop
(next step, open the question, watch answers arrive, moderate, close) happens in the step
panel, without scrolling, by mouse or by keys listed on the page."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import LIVE_MS, screenshot, seed_big_class, sign_in, wait_live

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}

IN_VIEW = """(el) => {
  const r = el.getBoundingClientRect();
  return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight
    && r.left >= 0 && r.right <= window.innerWidth;
}"""


def in_view(locator) -> bool:
    return locator.evaluate(IN_VIEW)


def test_the_question_on_screen_is_run_from_the_step_panel(server, pages):
    session, _ = seed_big_class()  # on question 1, open, 48 answers
    console = pages.open("console", viewport=LAPTOP)
    sign_in(console, server.url)
    console.goto(f"{server.url}/facilitate/{session.code}/")
    wait_live(console)
    screenshot(console, "console-1366x768-question")
    close = console.locator("#qc-1").get_by_role("button", name="Close question")
    assert in_view(close), "Close question is below the fold"
    answers = console.locator("#answers-1 > li.answer")
    expect(answers).to_have_count(48)
    first = answers.first
    assert in_view(first), "the answers start below the fold"
    assert in_view(first.get_by_role("button", name="Hide"))
    # The other questions are a line each, with their Open button at hand.
    for n in (2, 3):
        assert console.locator(f"#answers-{n}").is_hidden()
        assert console.locator(f"#qc-{n}").get_by_role("button", name="Open question").is_visible()
    # The keys are listed on the page, and O closes the question on screen.
    expect(console.locator(".keys")).to_contain_text("open or close the question")
    console.locator("body").press("o")
    expect(console.locator("#qc-1").get_by_role("button", name="Open question")).to_be_visible(
        timeout=LIVE_MS
    )
    console.locator("body").press("ArrowRight")
    expect(console.locator("#agenda")).to_have_attribute("data-question", "2", timeout=LIVE_MS)
    console.locator("body").press("o")
    expect(console.locator("#qc-2").get_by_role("button", name="Close question")).to_be_visible(
        timeout=LIVE_MS
    )
    assert in_view(console.locator("#qc-2").get_by_role("button", name="Close question"))
    screenshot(console, "console-1366x768-question-2")


def test_who_is_here_is_counted_and_folded_for_a_large_class(server, pages):
    session, _ = seed_big_class()
    console = pages.open("console", viewport=LAPTOP)
    sign_in(console, server.url)
    console.goto(f"{server.url}/facilitate/{session.code}/")
    wait_live(console)
    people = console.locator("#people")
    expect(people.locator(".people-counts")).to_have_text("0 here now · 49 joined")
    names = people.locator(".people-list li")
    expect(names.first).to_be_hidden()  # folded: 49 names would fill the column
    people.get_by_text("Names").click()
    expect(names).to_have_count(49)
    console.get_by_label("Find a name").fill("student 4")
    expect(people.locator(".people-list li:visible")).to_have_count(10)  # Student 40–49
    expect(people.locator(".people-list li:visible").first).to_contain_text("Student 40")


def test_after_the_end_the_console_says_it_once_and_points_to_the_summary(server, pages):
    session, _ = seed_big_class(students=8, answers=8)
    console = pages.open("console", viewport=LAPTOP)
    sign_in(console, server.url)
    console.goto(f"{server.url}/facilitate/{session.code}/")
    wait_live(console)
    console.once("dialog", lambda dialog: dialog.accept())
    console.get_by_role("button", name="End session").click()
    ended = console.locator(".console-ended")
    expect(ended).to_be_visible(timeout=LIVE_MS)
    expect(ended).to_contain_text("This session ended at")
    assert in_view(ended)
    # Said once: no students' banner, no "Live" beside "Ended".
    expect(console.locator("#ended")).to_be_hidden()
    expect(console.locator("#live-status")).to_be_hidden()
    expect(console.locator(".join-panel")).to_be_hidden()  # nobody can join any more
    said = console.get_by_text(re.compile(r"session (has )?ended", re.I)).locator("visible=true")
    expect(said).to_have_count(1)
    screenshot(console, "console-1366x768-ended")
    ended.get_by_role("link", name="the summary and exports").click()
    expect(console).to_have_url(f"{server.url}/facilitate/{session.code}/summary/")


# Whether a focused agenda step's label is whole and its focus ring (3px, 2px out) is not
# clipped by the scrolling list around it.
RING = """(button) => {
  const list = button.closest('.agenda-list');
  const r = button.getBoundingClientRect(), l = list.getBoundingClientRect();
  const ring = 5;
  const inner = {
    left: l.left + list.clientLeft, top: l.top + list.clientTop,
    right: l.left + list.clientLeft + list.clientWidth,
    bottom: l.top + list.clientTop + list.clientHeight,
  };
  return {
    label: button.textContent.trim(),
    cut: button.scrollWidth > button.clientWidth + 1
      || button.scrollHeight > button.clientHeight + 1,
    clipped: r.left - ring < inner.left - 0.5 || r.right + ring > inner.right + 0.5
      || r.top - ring < inner.top - 0.5 || r.bottom + ring > inner.bottom + 0.5,
  };
}"""


def test_the_agenda_shows_whole_labels_and_whole_focus_rings(server, pages):
    session, _ = seed_big_class(students=8, answers=8)
    console = pages.open("console", viewport=LAPTOP)
    sign_in(console, server.url)
    console.goto(f"{server.url}/facilitate/{session.code}/")
    wait_live(console)
    # The snapshot replaces the agenda: move through the one it brings.
    expect(console.locator("body")).to_have_attribute("data-version", re.compile(r"^\d+$"))
    steps = console.locator("#agenda-nav .agenda-step")
    assert steps.count() == 19  # the default guide's whole agenda
    for i in range(steps.count()):
        step = steps.nth(i)
        step.focus()
        found = step.evaluate(RING)
        assert not found["cut"], found
        assert not found["clipped"], found
        if i == 2:
            screenshot(console, "console-1366x768-agenda-focus")
    assert "Theme 1: The Origins of Transfer Learning (ULMFiT)" in steps.nth(2).inner_text()
