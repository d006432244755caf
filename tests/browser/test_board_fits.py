"""The board on a projector, with a real class: it never scrolls, every step fits, and the
answers come a page at a time with how many there are (issue 15)."""

import re

import pytest
from playwright.sync_api import expect

from seminar import selectors, services
from tests.browser.support import LIVE_MS, screenshot, seed_big_class, sign_in, wait_live

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROJECTORS = [{"width": 1920, "height": 1080}, {"width": 1280, "height": 720}]

# How the page fits: the document does not scroll, and nothing in the stage is cut off.
FIT = """() => {
  const doc = document.scrollingElement;
  const stage = document.querySelector('#stage');
  const body = stage.querySelector('.step-body') || stage;
  return {
    docOver: doc.scrollHeight - window.innerHeight,
    docWide: doc.scrollWidth - window.innerWidth,
    stageOver: stage.scrollHeight - stage.clientHeight,
  };
}"""

# The answers shown whole on screen.
VISIBLE = """() => Array.from(document.querySelectorAll('#stage li.answer')).filter((li) => {
  const r = li.getBoundingClientRect();
  return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight + 0.5
    && r.left >= 0 && r.right <= window.innerWidth + 0.5;
}).map((li) => li.id)"""


# board.js lays the stage out again once the fonts have loaded (their metrics change what
# fits): what a viewer sees is the layout after that, one frame later.
SETTLED = "() => document.fonts.ready.then(() => new Promise((r) => requestAnimationFrame(r)))"


def laid_out(board) -> None:
    expect(board.locator("#stage")).to_have_attribute("data-fitted", "1")
    board.evaluate(SETTLED)


def open_board(pages, server, session, viewport):
    """The board on a projector of this size, live and laid out."""
    board = pages.open("board", viewport=viewport)
    board.goto(f"{server.url}/s/{session.code}/board/")
    wait_live(board)
    laid_out(board)
    return board


def open_console(pages, server, session):
    console = pages.open("console", viewport={"width": 1366, "height": 768})
    sign_in(console, server.url)
    console.goto(f"{server.url}/facilitate/{session.code}/")
    wait_live(console)
    return console


def pager_range(board, text: str | None = None) -> tuple[int, int, int]:
    """(first, last, total) from "Answers 7–12 of 48" or "Answer 48 of 48" (`text`: the
    pager's label as already read, so one reading decides, not two a re-fit may fall between)."""
    if text is None:
        text = board.locator("#board-pager").inner_text()
    match = re.search(r"(\d+)–(\d+) of (\d+)", text)
    if match is None:
        single = re.search(r"(\d+) of (\d+)", text)
        assert single, text
        return int(single[1]), int(single[1]), int(single[2])
    return tuple(int(g) for g in match.groups())


@pytest.mark.parametrize("viewport", PROJECTORS, ids=lambda v: f"{v['width']}x{v['height']}")
def test_every_step_fits_the_projector(server, pages, viewport):
    session, _ = seed_big_class()
    board = pages.open("board", viewport=viewport)
    size = f"{viewport['width']}x{viewport['height']}"
    for step in selectors.agenda(session):
        services.step_go(session=session, by=session.facilitator, to=step.index)
        board.goto(f"{server.url}/s/{session.code}/board/")
        wait_live(board)
        expect(board.locator("#stage")).to_have_attribute("data-fitted", "1")
        fit = board.evaluate(FIT)
        name = f"board-{size}-{step.index:02d}-{step.kind}"
        screenshot(board, name)
        assert fit["docOver"] <= 0 and fit["docWide"] <= 0, (name, fit)
        assert fit["stageOver"] <= 1, (name, fit)


@pytest.mark.parametrize("viewport", PROJECTORS, ids=lambda v: f"{v['width']}x{v['height']}")
def test_answers_come_a_page_at_a_time(server, pages, viewport):
    session, _ = seed_big_class()
    board = open_board(pages, server, session, viewport)
    first, last, total = pager_range(board)
    assert (first, total) == (1, 48)
    shown = board.evaluate(VISIBLE)
    assert len(shown) == last - first + 1  # every answer on the page is whole, on screen
    if viewport["width"] == 1920:
        assert len(shown) >= 6
    # Pinned first.
    assert board.locator("#stage li.answer").first.get_attribute("data-pinned") == "1"
    board.keyboard.press("ArrowRight")
    expect(board.locator("#board-pager")).to_contain_text(re.compile(f" {last + 1}[– ]"))
    second = board.evaluate(VISIBLE)
    assert not set(second) & set(shown)
    board.keyboard.press("ArrowLeft")
    expect(board.locator("#board-pager")).to_contain_text(f"1–{last} of 48")
    # Every page, in turn, until it comes back to the first: all 48 answers get shown.
    seen = set()
    for _ in range(48):
        seen |= set(board.evaluate(VISIBLE))
        board.keyboard.press("ArrowRight")
        if pager_range(board)[0] == 1:
            break
    assert len(seen) == 48


def test_the_console_turns_the_boards_pages(server, pages):
    session, _ = seed_big_class()
    board = open_board(pages, server, session, PROJECTORS[1])
    first, last, total = pager_range(board)
    assert (first, total) == (1, 48)
    console = open_console(pages, server, session)
    console.get_by_role("button", name="Next page").click()
    expect(board.locator("#board-pager")).to_contain_text(f"{last + 1}–", timeout=LIVE_MS)
    console.keyboard.press("[")  # listed on the console: the board's previous page
    expect(board.locator("#board-pager")).to_contain_text(f"1–{last} of 48", timeout=LIVE_MS)
    console.keyboard.press("]")
    expect(board.locator("#board-pager")).to_contain_text(f"{last + 1}–", timeout=LIVE_MS)
    # A reload starts at the first page, as a reload of any page starts at its top.
    board.reload()
    wait_live(board)
    expect(board.locator("#board-pager")).to_contain_text(f"1–{last} of 48")


# The font size (px) of the first shown item of a paged step, and of a theme's text.
ITEM_PX = """(sel) => parseFloat(getComputedStyle(
  Array.from(document.querySelectorAll(sel)).find((el) => el.getClientRects().length)
).fontSize)"""
WHOLE = """(sel) => Array.from(document.querySelectorAll(sel)).filter((el) => {
  const r = el.getBoundingClientRect();
  return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight + 0.5;
}).map((el) => el.textContent.trim())"""


@pytest.mark.parametrize("viewport", PROJECTORS, ids=lambda v: f"{v['width']}x{v['height']}")
@pytest.mark.parametrize(
    "kind,nouns,items,text",
    [
        ("quotes", ("Quotes", "Quote"), 7, ".quote blockquote"),
        ("people", ("People", "Person"), 10, ".people dd"),
    ],
)
def test_quotes_and_people_come_a_page_at_a_time_as_large_as_a_theme(
    server, pages, viewport, kind, nouns, items, text
):
    session, _ = seed_big_class(students=8, answers=8)
    by = session.facilitator
    theme = next(s for s in selectors.agenda(session) if s.kind == "theme")
    services.step_go(session=session, by=by, to=theme.index)
    board = open_board(pages, server, session, viewport)
    theme_px = board.evaluate(ITEM_PX, ".step-text p")

    step = next(s for s in selectors.agenda(session) if s.kind == kind)
    services.step_go(session=session, by=by, to=step.index)
    board.reload()
    wait_live(board)
    laid_out(board)
    assert board.evaluate(ITEM_PX, text) >= theme_px
    seen = []
    for _ in range(items):
        label = board.locator("#board-pager").inner_text()
        if label == f"All {items} {nouns[0].lower()}":  # a big screen may show them all at once
            first, last, total = 1, items, items
        else:
            first, last, total = pager_range(board, label)
            assert label.split()[0] in nouns, label
        assert total == items
        shown = board.evaluate(WHOLE, "#stage [data-pages] > *")
        assert len(shown) == last - first + 1, shown  # every one on the page whole, on screen
        seen += shown
        fit = board.evaluate(FIT)
        assert fit["docOver"] <= 0 and fit["stageOver"] <= 1, fit
        board.keyboard.press("ArrowRight")
        if last == items:
            break
        expect(board.locator("#board-pager")).to_contain_text(re.compile(f" {last + 1}[– ]"))
    assert len(seen) == items and len(set(seen)) == items  # each once, none skipped
    screenshot(board, f"board-{viewport['width']}x{viewport['height']}-{kind}-paged")


BACKGROUND = "() => getComputedStyle(document.body).backgroundColor"


def test_the_board_has_no_controls_and_the_console_chooses_its_theme(server, pages):
    """Nothing on the projected page is a control for the teacher: light or dark is the
    console's board setting, and the board follows it live and on a reload."""
    session, _ = seed_big_class(students=8, answers=8)
    board = open_board(pages, server, session, PROJECTORS[0])
    assert board.locator("button, input, select, textarea, [role=button]").count() == 0
    light = board.evaluate(BACKGROUND)
    console = open_console(pages, server, session)
    console.get_by_label("Dark (dimmed rooms)").check()
    console.locator("#settings").get_by_role("button", name="Apply").click()
    expect(board.locator("#stage")).to_have_attribute("data-theme", "dark", timeout=LIVE_MS)
    dark = board.evaluate(BACKGROUND)
    assert dark != light
    screenshot(board, "board-1920x1080-dark")
    board.reload()
    wait_live(board)
    assert board.evaluate(BACKGROUND) == dark
    expect(console.get_by_label("Dark (dimmed rooms)")).to_be_checked()


@pytest.mark.parametrize("viewport", PROJECTORS, ids=lambda v: f"{v['width']}x{v['height']}")
def test_after_the_end_the_board_says_so_and_invites_nobody(server, pages, viewport):
    session, _ = seed_big_class()
    board = open_board(pages, server, session, viewport)
    expect(board.locator(".board-qr")).to_be_visible()
    console = open_console(pages, server, session)
    console.once("dialog", lambda dialog: dialog.accept())
    console.get_by_role("button", name="End session").click()
    ended = board.locator("#ended")
    expect(ended).to_be_visible(timeout=LIVE_MS)
    expect(ended).to_contain_text("This session has ended")
    box = ended.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]
    for invitation in (".board-qr", ".board-code", ".board-presence", ".board-url"):
        expect(board.locator(invitation)).to_be_hidden()
    expect(board.locator("#stage")).not_to_contain_text("Open for answers")
    expect(board.locator("#stage")).to_have_attribute("data-fitted", "1")
    fit = board.evaluate(FIT)
    assert fit["docOver"] <= 0 and fit["stageOver"] <= 1, fit
    screenshot(board, f"board-{viewport['width']}x{viewport['height']}-ended")
    board.reload()
    wait_live(board)
    expect(board.locator(".board-qr")).to_be_hidden()
