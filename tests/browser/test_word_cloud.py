"""The word cloud in a real class (issue 17, part 2): the console puts question 1 on the board
as a word cloud, it fits the projector whole at both sizes, a student's answer updates it live
term by term (the stage is never redrawn), a term on the console filters the answers to the
ones that use it, one of them goes in the spotlight, and every page equals its reload."""

import pytest
from playwright.sync_api import expect

from seminar import services
from tests.browser.support import LIVE_MS, act_as, screenshot, seed_big_class, wait_live
from tests.browser.test_board_fits import FIT, PROJECTORS, open_board, open_console
from tests.browser.test_live_equals_reload import assert_each_equals_a_reload, post_answer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# More of the class answers, in the words a class uses: some terms recur, most do not.
MORE_ANSWERS = [
    "Review the diff together.",
    "Tests catch what a review misses.",
    "Pair programming with the tool.",
    "Read the diff, run the tests.",
    "Attention is the bottleneck.",
    "Small diffs, small steps.",
    "Review every prompt.",
    "The tool is fast; review is slow.",
    "Tests first, then the prompt.",
    "Design stays human.",
    "Explain the code before merging.",
    "Keep a mental model of the code.",
    "Run the tests on every change.",
    "Review, review, review.",
    "Code review matters more now.",
]

# Every word of the cloud whole on screen: inside the window and not cut off by the list.
TERMS_WHOLE = """() => {
  const list = document.querySelector('#stage .term-cloud').getBoundingClientRect();
  const items = Array.from(document.querySelectorAll('#stage .term-cloud > li'));
  const cut = items.filter((li) => {
    const r = li.getBoundingClientRect();
    return !(r.height > 0 && r.top >= list.top - 0.5 && r.bottom <= list.bottom + 0.5
      && r.left >= 0 && r.right <= window.innerWidth + 0.5 && r.bottom <= window.innerHeight);
  }).map((li) => li.textContent);
  return {count: items.length, cut: cut};
}"""


def assert_fits(board, name):
    expect(board.locator("#stage")).to_have_attribute("data-fitted", "1")
    fit = board.evaluate(FIT)
    assert fit["docOver"] <= 0 and fit["docWide"] <= 0, (name, fit)
    assert fit["stageOver"] <= 1, (name, fit)
    terms = board.evaluate(TERMS_WHOLE)
    assert terms["count"] >= 20 and terms["cut"] == [], (name, terms)
    # Readable from the back: the smallest word is no smaller than the question's text allows.
    smallest = board.evaluate(
        "() => Math.min(...Array.from(document.querySelectorAll('#stage .term'))"
        ".map((li) => parseFloat(getComputedStyle(li).fontSize)))"
    )
    assert smallest >= 14, (name, smallest)


def test_the_word_cloud_in_a_class(server, pages):
    session, people = seed_big_class(students=64)
    for person, text in zip(people[48:63], MORE_ANSWERS, strict=True):
        services.answer_post(participant=person, number=1, text=text, client_token=None)

    board = open_board(pages, server, session, PROJECTORS[0])
    console = open_console(pages, server, session)
    card = console.locator("#cq-1")
    card.get_by_role("button", name="Word cloud").click()
    expect(board.locator("#terms-1 > li").first).to_be_visible(timeout=LIVE_MS)
    expect(card.get_by_role("button", name="Word cloud")).to_have_attribute("aria-pressed", "true")
    # A list a screen reader reads: each word with how many students used it.
    review = board.locator("#terms-1 > li[data-term=review]")
    before = int(review.get_attribute("data-count"))
    expect(review).to_have_text(f"review, {before} students")
    expect(board.locator("#terms-1")).to_have_attribute(
        "aria-label", "Words in the answers, used by the most students first"
    )
    assert_fits(board, "1920x1080")
    screenshot(board, "board-1920x1080-word-cloud")

    # A student answers through the room: the cloud follows term by term, the stage stays.
    board.evaluate("document.querySelector('#stage').dataset.marker = 'not redrawn'")
    student = pages.open("student")
    act_as(student, server.url, people[63])
    student.goto(f"{server.url}/s/{session.code}/")
    wait_live(student)
    post_answer(student, 1, "More review, fewer surprises: review the zebra diagrams.")
    expect(review).to_have_attribute("data-count", str(before + 1), timeout=LIVE_MS)
    expect(review).to_have_text(f"review, {before + 1} students")
    expect(board.locator("#terms-1 > li[data-term=zebra]")).to_have_count(0)  # not in the top 40
    assert board.evaluate("document.querySelector('#stage').dataset.marker") == "not redrawn"
    # Most used first, as a reload puts them.
    counts = board.locator("#terms-1 > li").evaluate_all(
        "(items) => items.map((li) => Number(li.dataset.count))"
    )
    assert counts == sorted(counts, reverse=True)

    board.evaluate("delete document.querySelector('#stage').dataset.marker")
    assert_each_equals_a_reload(session, [board, console], "the word cloud and a new answer")

    # The smaller projector (a reload opens at the first size: back to it after).
    board.set_viewport_size(PROJECTORS[1])
    board.wait_for_timeout(400)  # board.js lays out again a moment after a resize
    assert_fits(board, "1280x720")
    screenshot(board, "board-1280x720-word-cloud")
    board.set_viewport_size(PROJECTORS[0])
    board.wait_for_timeout(400)

    # The console: a term shows the answers that use it, one goes in the spotlight.
    term = card.locator(".term-button[data-term=diff]")
    expect(term).to_be_hidden()  # folded, so the answers stay in view
    card.get_by_text("Key terms").click()
    expect(term).to_contain_text("diff")
    term.click()
    expect(term).to_have_attribute("aria-pressed", "true")
    shown = card.locator("#answers-1 > li.answer:visible")
    texts = shown.all_inner_texts()
    assert len(texts) == int(term.locator("xpath=..").get_attribute("data-count"))
    assert all("diff" in text.lower() for text in texts), texts
    expect(card.locator(".term-status")).to_have_text(f"{len(texts)} answers use “diff”.")
    screenshot(console, "console-word-cloud-filter", full_page=True)
    shown.first.get_by_role("button", name="Spotlight").click()
    expect(board.locator("#stage")).to_have_attribute("data-kind", "spotlight", timeout=LIVE_MS)
    # The filter survives the console's re-renders (the spotlit answer's item, the agenda).
    expect(term).to_have_attribute("aria-pressed", "true")
    expect(shown).to_have_count(len(texts))
    console.locator("#agenda").get_by_role("button", name="End spotlight").click()
    expect(board.locator("#terms-1")).to_be_visible(timeout=LIVE_MS)
    card.get_by_role("button", name="Show all").click()
    expect(card.locator("#answers-1 > li.answer:visible")).to_have_count(64)
    expect(term).to_have_attribute("aria-pressed", "false")
    card.get_by_text("Key terms").click()  # folded again, as a reload shows it
    assert_each_equals_a_reload(session, [board, console], "a spotlight from a term")

    # Back to the answers, a page at a time.
    card.get_by_role("button", name="Answers").click()
    expect(board.locator("#answers-1")).to_be_visible(timeout=LIVE_MS)
    assert pages.script_errors() == [] and pages.csp_violations() == []
