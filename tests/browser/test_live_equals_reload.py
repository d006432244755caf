"""A live screen equals a reload, in a real browser: a console, the board and three students
(one on a phone) through a scripted class; after every action each page, as updated live,
must equal a fresh load of the same page for the same person. And a frame lost on the way is
repaired within two seconds."""

import time

import pytest
from playwright.sync_api import expect

from seminar.models import Session
from tests.browser.support import (
    LIVE_MS,
    join_by_link,
    make_facilitator,
    make_guide,
    make_session,
    screenshot,
    sign_in,
    step_index,
    wait_live,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}

# What a person sees of the page, minus what differs between two renders of one state.
NORMALIZED = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll(
    'input[name=csrfmiddlewaretoken], #live-status, #announcer, ul.messages, #board-pager'
  ).forEach((e) => e.remove());
  body.querySelectorAll('input[name=client_token]').forEach((e) => e.setAttribute('value', ''));
  // A round's countdown: the server's clock when it was rendered, this device's reading of it,
  // and the seconds left, which tick.
  body.querySelectorAll('[data-now]').forEach((e) => {
    e.removeAttribute('data-now');
    e.removeAttribute('data-offset');
  });
  body.querySelectorAll('.countdown-time').forEach((e) => { e.textContent = ''; });
  body.removeAttribute('hx-headers');
  body.removeAttribute('data-version');
  const lines = [];
  const walk = (el, depth) => {
    const attrs = Array.from(el.attributes).map((a) => {
      let value = a.value;
      if (a.name === 'class') {
        // htmx's own, a moment's highlight, and which page of answers a projector is on.
        value = value.split(/\\s+/).filter(
          (c) => c && !c.startsWith('htmx-') && c !== 'just-opened' && c !== 'off-page'
        ).join(' ');
      }
      return `${a.name}="${value}"`;
    }).sort().join(' ');
    let text = '';
    el.childNodes.forEach((n) => { if (n.nodeType === 3) text += n.textContent; });
    const words = text.split(/\\s+/).join(' ').trim();
    lines.push(`${'  '.repeat(depth)}<${el.tagName.toLowerCase()} ${attrs}>${words}`);
    Array.from(el.children).forEach((c) => walk(c, depth + 1));
  };
  walk(body, 0);
  return lines.join('\\n');
}"""


def db_version(session) -> int:
    return Session.objects.values_list("version", flat=True).get(pk=session.pk)


def shown_version(page) -> int:
    return int(page.evaluate("() => document.body.dataset.version || -1"))


def wait_caught_up(session, pages, timeout=LIVE_MS / 1000) -> None:
    """Until every page shows the session's latest version and it has stopped moving (presence
    is published a moment after a connect or a disconnect)."""
    deadline = time.monotonic() + timeout
    settled_since = None
    while time.monotonic() < deadline:
        version = db_version(session)
        if all(shown_version(p) == version for p in pages):
            settled_since = settled_since or time.monotonic()
            if time.monotonic() - settled_since > 0.8:
                return
        else:
            settled_since = None
        time.sleep(0.05)
    raise AssertionError(
        f"pages did not catch up with version {db_version(session)}: "
        + ", ".join(str(shown_version(p)) for p in pages)
    )


def assert_each_equals_a_reload(session, pages, what: str) -> None:
    wait_caught_up(session, pages)
    for page in pages:
        live = page.evaluate(NORMALIZED)
        fresh = page.context.new_page()
        try:
            fresh.goto(page.url)
            wait_live(fresh)
            wait_caught_up(session, [page, fresh])
            live, reloaded = page.evaluate(NORMALIZED), fresh.evaluate(NORMALIZED)
        finally:
            fresh.close()
        assert len(live.splitlines()) > 20 and 'id="live-root"' in live  # a whole page
        if live != reloaded:
            import difflib

            diff = "\n".join(
                difflib.unified_diff(
                    reloaded.splitlines(), live.splitlines(), "reload", "live", lineterm=""
                )
            )
            raise AssertionError(f"After {what}, {page.url} differs from a reload:\n{diff}")


def post_answer(page, number: int, text: str) -> None:
    box = page.locator(f"#q-{number}-mine")
    box.get_by_label("Your answer").fill(text)
    box.get_by_role("button", name="Post answer").click()
    expect(page.locator(f"#q-{number}-mine .my-answer")).to_contain_text(text, timeout=LIVE_MS)


def test_every_page_equals_its_reload_through_a_class(server, pages):
    session = make_session(
        facilitator=make_facilitator("ada"), guide=make_guide(), title="Live equals reload"
    )
    code, base = session.code, server.url

    console = pages.open("console")
    console.on("dialog", lambda dialog: dialog.accept())
    sign_in(console, base)
    console.goto(f"/facilitate/{code}/")
    wait_live(console)
    board = pages.open("board", viewport={"width": 1280, "height": 720})
    board.goto(f"/s/{code}/board/")
    wait_live(board)
    ana, ben = pages.open("ana"), pages.open("ben")
    cy = pages.open("cy", viewport=PHONE, is_mobile=True, has_touch=True)
    for page, name in ((ana, "Ana"), (ben, "Ben"), (cy, "Cy")):
        join_by_link(page, base, code, name)
    everyone = [console, board, ana, ben, cy]
    assert_each_equals_a_reload(session, everyone, "joining")

    def step_to(index):
        console.locator("#agenda-nav").get_by_role("button").nth(index).click()

    step_to(step_index(session, "question", 1))
    expect(board.locator("#stage")).to_have_attribute("data-kind", "question", timeout=LIVE_MS)
    console.locator("#qc-1").get_by_role("button", name="Open question").click()
    expect(ana.locator("#q-1-state")).to_have_attribute("data-status", "open", timeout=LIVE_MS)
    assert_each_equals_a_reload(session, everyone, "opening question 1 on its step")

    post_answer(ana, 1, "Read every line of the diff.")
    post_answer(cy, 1, "Write the test first.")
    assert_each_equals_a_reload(session, everyone, "two answers")

    post_answer(ben, 1, "Keep the loop small.")
    ana_item = ben.locator("#answers-1 li", has_text="Read every line")
    ana_item.get_by_role("button", name="Upvote").click()
    expect(ana_item.get_by_role("button", name="Upvote")).to_have_attribute(
        "aria-pressed", "true", timeout=LIVE_MS
    )
    assert_each_equals_a_reload(session, everyone, "a vote")

    console.locator("#answers-1 li", has_text="Write the test").get_by_role(
        "button", name="Pin"
    ).click()
    console.locator("#answers-1 li", has_text="Keep the loop").get_by_role(
        "button", name="Hide"
    ).click()
    expect(board.locator("#answers-1 li")).to_have_count(2, timeout=LIVE_MS)
    assert_each_equals_a_reload(session, everyone, "a pin and a hide")

    console.locator("#qc-1").get_by_role("button", name="Close question").click()
    expect(cy.locator("#q-1-state")).to_have_attribute("data-status", "closed", timeout=LIVE_MS)
    assert_each_equals_a_reload(session, everyone, "closing question 1")

    console.get_by_role("button", name="End session").click()
    expect(board.locator("#ended")).to_be_visible(timeout=LIVE_MS)
    # The projector says so at once, in view, and invites no latecomers.
    expect(board.locator("#ended")).to_be_in_viewport()
    expect(board.locator(".board-join")).to_be_hidden()
    screenshot(board, "board-ended-1280")
    assert_each_equals_a_reload(session, everyone, "ending the session")


def test_a_lost_frame_is_repaired_within_two_seconds(server, pages):
    from seminar import services

    session = make_session(guide=make_guide())
    by = session.facilitator
    services.step_go(session=session, by=by, to=step_index(session, "question", 1))
    services.question_set_open(session=session, by=by, number=1, is_open=True)
    base = server.url
    ana, ben = pages.open("ana"), pages.open("ben")
    join_by_link(ana, base, session.code, "Ana")
    join_by_link(ben, base, session.code, "Ben")

    board = pages.open("board")
    lost = []

    def relay(ws):
        upstream = ws.connect_to_server()

        def down(message):
            if not lost and isinstance(message, str) and "The first answer" in message:
                lost.append(time.monotonic())  # this frame never reaches the page
                return
            ws.send(message)

        upstream.on_message(down)
        ws.on_message(lambda message: upstream.send(message))

    board.route_web_socket(f"**/ws/s/{session.code}/board/", relay)
    board.goto(f"{base}/s/{session.code}/board/")
    wait_live(board)
    wait_caught_up(session, [board, ana, ben])

    post_answer(ana, 1, "The first answer")
    post_answer(ben, 1, "The second answer")
    expect(board.locator("#answers-1")).to_contain_text("The first answer", timeout=2_000)
    assert lost and time.monotonic() - lost[0] < 2.5
    expect(board.locator("#answers-1")).to_contain_text("The second answer")
    assert_each_equals_a_reload(session, [board, ana, ben], "a lost frame")
