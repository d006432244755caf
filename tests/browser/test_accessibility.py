"""Accessibility: axe-core on every page, keyboard use with a visible focus ring, live regions."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from seminar import services
from tests.browser.support import (
    LIVE_MS,
    act_as,
    describe_violations,
    seed_class,
    sign_in,
    step_index,
    urlopen_status,
    wait_live,
    wait_snapshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STEP_KINDS = ["lobby", "overview", "theme", "quotes", "people", "question", "wrapup"]


def test_no_axe_violations_on_any_page(server, pages):
    """Every rule axe runs, best practices included (a page with no h1, say), at any impact."""
    session, people, _ = seed_class()
    code, base, by = session.code, server.url, session.facilitator
    axe = Axe()
    problems = {}

    def audit(page, label):
        found = axe.run(page).response["violations"]
        if found:
            problems[label] = describe_violations(found)

    visitor = pages.open("visitor")
    for label, path in [
        ("home", "/"),
        ("join", f"/j/{code}"),
        ("login", "/accounts/login/"),
        ("guide list", "/guides/"),
        ("guide page", session.guide.get_absolute_url()),
    ]:
        visitor.goto(path)
        audit(visitor, label)
    # A join form with an error shown.
    visitor.goto("/")
    visitor.get_by_label("Join code").fill("ZZZZZZ")
    visitor.get_by_role("button", name="Continue").click()
    expect(visitor.get_by_role("alert")).to_be_visible()
    audit(visitor, "home with an error")

    ana = pages.open("ana")
    act_as(ana, base, people["Ana"])
    eve = pages.open("eve")
    act_as(eve, base, people["Eve"])
    board = pages.open("board")
    for kind in STEP_KINDS:
        number = 1 if kind in {"theme", "question"} else None
        session = services.step_go(session=session, by=by, to=step_index(session, kind, number))
        for who, page in [("answered", ana), ("not answered", eve)]:
            if kind not in {"question", "lobby"} and who == "not answered":
                continue
            page.goto(f"/s/{code}/")
            wait_snapshot(page)
            audit(page, f"room ({kind}, {who})")
        if kind in {"lobby", "question", "quotes"}:
            board.goto(f"/s/{code}/board/")
            wait_snapshot(board)
            audit(board, f"board ({kind})")
    # The answer form with an inline error.
    eve.locator("#q-1").get_by_label("Your answer").fill(" ")
    eve.locator("#q-1").get_by_role("button", name="Post answer").click()
    expect(eve.locator("#answer-error-1")).not_to_be_empty()
    audit(eve, "room (answer error)")

    console = pages.open("facilitator")
    sign_in(console, base)
    audit(console, "sessions")
    console.goto(f"/facilitate/{code}/")
    wait_live(console)
    audit(console, "console")
    console.goto(f"/facilitate/{code}/moderate/")
    wait_live(console)
    audit(console, "moderator's screen")
    # A moderator link: the console's panel with it, its claim page, and a refusal.
    console.goto(f"/facilitate/{code}/")
    wait_live(console)
    console.get_by_role("button", name="Create moderator link").click()
    url = console.locator(".moderator-url a").get_attribute("href")
    audit(console, "console with a moderator link")
    # A round in its Pair phase, counting down: the console's controls, a table, the board.
    session = services.step_go(session=session, by=by, to=step_index(session, "question", 1))
    services.round_phase(session=session, by=by, number=1, phase="pair", seconds=120)
    console.goto(f"/facilitate/{code}/")
    wait_live(console)
    audit(console, "console (round)")
    ana.goto(f"/s/{code}/")
    wait_snapshot(ana)
    audit(ana, "room (round, pair)")
    board.goto(f"/s/{code}/board/")
    wait_snapshot(board)
    audit(board, "board (round)")
    visitor.goto(url)
    audit(visitor, "moderator link")
    visitor.goto("/m/no-such-link")
    audit(visitor, "unknown moderator link")
    console.goto("/facilitate/new/")
    audit(console, "new session")
    if urlopen_status(f"{base}/facilitate/{code}/summary/") != 404:
        console.goto(f"/facilitate/{code}/summary/")
        audit(console, "summary")

    assert not problems, "Serious or critical axe violations:\n" + "\n".join(
        f"{label}:\n{report}" for label, report in problems.items()
    )


FOCUS_RING_JS = """() => {
  const el = document.activeElement;
  const cs = getComputedStyle(el);
  const width = parseFloat(cs.outlineWidth) || 0;
  return {
    tag: el.tagName,
    text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 40),
    ring: (cs.outlineStyle !== 'none' && width >= 2) || (cs.boxShadow && cs.boxShadow !== 'none'),
    focusVisible: el.matches(':focus-visible'),
  };
}"""

# A group of radio buttons is one Tab stop (its checked one); arrow keys move within it.
CONTROLS_JS = """() => [...document.querySelectorAll(
  'a[href], button:not([disabled]), ' +
  'input:not([type=hidden]):not([disabled]):not([type=radio]:not(:checked)), ' +
  'textarea, select, summary'
)].filter(el => el.checkVisibility({visibilityProperty: true}) && el.tabIndex >= 0)
  .map(el => el.tagName + ' ' + (el.innerText || el.id || el.name || '').trim().slice(0, 40))"""

FOCUS_TOP_JS = """() => {
  const b = document.body; b.tabIndex = -1; b.focus(); b.removeAttribute('tabindex');
}"""


def tab_through(page, limit: int = 120) -> list[dict]:
    """Press Tab until focus comes back around; what was focused, with its focus ring."""
    seen = []
    # Start from the top of the document, as after a page load without autofocus.
    page.evaluate(FOCUS_TOP_JS)
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = page.evaluate(FOCUS_RING_JS)
        if info["tag"] == "BODY" or (seen and info == seen[0]):
            break
        seen.append(info)
    return seen


def test_keyboard_only_posting_and_visible_focus_rings(server, pages):
    session, people, _ = seed_class()
    code, base = session.code, server.url

    eve = pages.open("eve")
    act_as(eve, base, people["Eve"])
    eve.goto(f"/s/{code}/")
    wait_snapshot(eve)
    box = eve.locator("#q-1").get_by_label("Your answer")
    box.focus()
    eve.keyboard.type("Typed and posted without a mouse.")
    post = eve.locator("#q-1").get_by_role("button", name="Post answer")
    for _ in range(5):
        eve.keyboard.press("Tab")
        if post.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("Tab from the answer box never reached 'Post answer'")
    ring = eve.evaluate(FOCUS_RING_JS)
    assert ring["ring"] and ring["focusVisible"], f"no visible focus ring on Post answer: {ring}"
    eve.keyboard.press("Enter")
    expect(eve.locator("#q-1 .my-answer")).to_contain_text("without a mouse", timeout=LIVE_MS)

    # Every control on the room, the console and the home page is reached, each with a ring.
    console = pages.open("facilitator")
    sign_in(console, base)
    console.goto(f"/facilitate/{code}/")
    wait_live(console)
    for label, page in [("home", None), ("room", eve), ("console", console)]:
        if page is None:
            page = pages.open("visitor")
            page.goto("/")
        expected = page.evaluate(CONTROLS_JS)
        reached = tab_through(page, limit=len(expected) + 10)
        without_ring = [r for r in reached if not r["ring"]]
        assert not without_ring, f"{label}: focused without a visible ring: {without_ring}"
        assert len(reached) >= len(expected), (
            f"{label}: Tab reached {len(reached)} of {len(expected)} controls: "
            f"{[r['text'] for r in reached]}; controls: {expected}"
        )


def test_live_regions_and_no_announcement_per_answer(server, pages):
    session, people, _ = seed_class()
    code, base = session.code, server.url
    ana = pages.open("ana")
    act_as(ana, base, people["Ana"])
    ana.goto(f"/s/{code}/")
    wait_snapshot(ana)
    status = ana.locator("#live-status")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_text("Live")
    announcer = ana.locator("#announcer")
    expect(announcer).to_have_attribute("aria-live", "polite")
    # Answer lists are not live regions: a busy class would talk over the lesson.
    inside_live_region = ana.evaluate(
        """() => [...document.querySelectorAll('.answer-list')].some(list =>
             list.closest('[aria-live]:not([aria-live=off]), [role=status], [role=log], ' +
                          '[role=alert]'))"""
    )
    assert not inside_live_region
    ana.evaluate(
        """() => { window.__announced = [];
             new MutationObserver(() => window.__announced.push(
               document.querySelector('#announcer').textContent)).observe(
               document.querySelector('#announcer'),
               {childList: true, characterData: true, subtree: true}); }"""
    )

    eve = pages.open("eve")
    act_as(eve, base, people["Eve"])
    eve.goto(f"/s/{code}/")
    wait_snapshot(eve)
    eve.locator("#q-1").get_by_label("Your answer").fill(
        "Eve's answer, which nobody should hear read out."
    )
    eve.locator("#q-1").get_by_role("button", name="Post answer").click()
    expect(ana.locator("#q-1-answers")).to_contain_text("nobody should hear", timeout=LIVE_MS)
    ana.wait_for_timeout(300)
    announced = ana.evaluate("() => window.__announced")
    assert not any(
        "nobody should hear" in text or "answer" in text.lower() for text in announced
    ), announced

    # A step change, on the other hand, is announced.
    console = pages.open("facilitator")
    sign_in(console, base)
    console.goto(f"/facilitate/{code}/")
    wait_live(console)
    console.get_by_role("button", name="Next step").click()
    expect(announcer).to_contain_text("Now:", timeout=LIVE_MS)
