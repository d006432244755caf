"""A whole class in the browser: a facilitator, the board on the projector, three students."""

import re

import pytest
from playwright.sync_api import expect

from seminar.models import Participant, Session
from tests.browser.support import (
    LIVE_MS,
    join_by_link,
    make_facilitator,
    make_guide,
    sign_in,
    urlopen_status,
    wait_live,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ENDED = "This session has ended."


def stage_of(page):
    return page.locator("#stage")


def test_a_whole_class(server, pages):
    make_facilitator("ada")
    guide = make_guide()
    base = server.url

    # The facilitator signs in and starts a session.
    console = pages.open("facilitator")
    console.on("dialog", lambda dialog: dialog.accept())
    sign_in(console, base)
    console.get_by_label("Title (optional)").fill("Tuesday seminar")
    console.get_by_role("button", name="Start session").click()
    expect(console).to_have_url(re.compile(r"/facilitate/[A-Z0-9]{6}/$"))
    code = console.url.rstrip("/").rsplit("/", 1)[-1]
    wait_live(console)

    # The board goes on the projector.
    board = pages.open("board", viewport={"width": 1920, "height": 1080})
    board.goto(f"/s/{code}/board/")
    wait_live(board)
    expect(board.locator(".board-code")).to_have_text(code)

    # Ana types the code on the home page (in lower case: codes are case-insensitive).
    ana = pages.open("ana")
    ana.goto("/")
    ana.get_by_label("Join code").fill(code.lower())
    ana.get_by_role("button", name="Continue").click()
    expect(ana).to_have_url(f"{base}/j/{code}")
    ana.get_by_label("Your name").fill("Ana")
    ana.get_by_role("button", name="Join").click()
    expect(ana).to_have_url(f"{base}/s/{code}/")
    wait_live(ana)
    expect(ana.locator(".room-who")).to_contain_text("You are Ana")

    # Ben scans the QR code (the /j/ link).
    ben = pages.open("ben")
    join_by_link(ben, base, code, "Ben")

    # Chloe joins by link, then reloads and opens the link again: still the same Chloe.
    chloe = pages.open("chloe")
    join_by_link(chloe, base, code, "Chloe")
    chloe.reload()
    wait_live(chloe)
    expect(chloe.locator(".room-who")).to_contain_text("You are Chloe")
    chloe.goto(f"/j/{code}")
    expect(chloe).to_have_url(f"{base}/s/{code}/")
    wait_live(chloe)
    session = Session.objects.get(code=code)
    assert sorted(Participant.objects.filter(session=session).values_list("name", flat=True)) == [
        "Ana",
        "Ben",
        "Chloe",
    ]
    students = [ana, ben, chloe]
    screens = [board, *students]

    # The console sees who is here.
    people = console.locator("#people")
    for name in ("Ana", "Ben", "Chloe"):
        expect(people).to_contain_text(name, timeout=LIVE_MS)

    # Walking the agenda: buttons and arrow keys; every screen follows without a reload.
    nav_counts = {id(p): 0 for p in screens}
    for p in screens:
        p.on(
            "framenavigated",
            lambda frame, p=p: nav_counts.__setitem__(id(p), nav_counts[id(p)] + 1),
        )

    def all_show(kind, text=None):
        expect(console.locator(".console-stage")).to_have_attribute(
            "data-kind", kind, timeout=LIVE_MS
        )
        for p in screens:
            expect(stage_of(p)).to_have_attribute("data-kind", kind, timeout=LIVE_MS)
            if text:
                expect(stage_of(p)).to_contain_text(text, timeout=LIVE_MS)

    for p in screens:
        expect(stage_of(p)).to_have_attribute("data-kind", "lobby")
    console.get_by_role("button", name="Next step").click()
    all_show("overview", "Overview")
    console.keyboard.press("ArrowRight")
    first_theme = guide.themes.order_by("number").first()
    all_show("theme", first_theme.title)
    console.keyboard.press("ArrowRight")
    all_show("theme", guide.themes.get(number=2).title)
    console.keyboard.press("ArrowLeft")
    all_show("theme", first_theme.title)
    console.get_by_role("button", name="Previous step").click()
    all_show("overview")
    # Jump straight to question 1 from the agenda.
    console.get_by_role("navigation", name="Agenda").get_by_role(
        "button", name="Question 1"
    ).click()
    question = guide.questions.get(number=1)
    all_show("question", question.text[:40])
    assert all(count == 0 for count in nav_counts.values()), "a screen reloaded to follow the walk"

    # Nothing is open yet; then the facilitator opens question 1.
    expect(ana.locator("#q-1")).to_be_hidden()
    console.locator("#cq-1").get_by_role("button", name="Open question").click()
    expect(console.locator("#cq-1").get_by_role("button", name="Close question")).to_be_visible()
    for p in students:
        expect(p.locator("#q-1").get_by_label("Your answer")).to_be_visible(timeout=LIVE_MS)

    # Answer first: Ben posts; Ana cannot read it until she posts herself.
    ben.locator("#q-1").get_by_label("Your answer").fill("Ben: read the diff before merging.")
    ben.locator("#q-1").get_by_role("button", name="Post answer").click()
    expect(ben.locator("#q-1 .my-answer")).to_contain_text("read the diff")
    expect(board.locator(".board-answers")).to_contain_text("read the diff", timeout=LIVE_MS)
    expect(ana.locator("#q-1-answers")).to_contain_text("Post your answer to see")
    expect(ana.locator("#q-1")).not_to_contain_text("read the diff")

    # Ana tries an answer of spaces: an inline error, and her text stays in the box.
    ana_box = ana.locator("#q-1").get_by_label("Your answer")
    ana_box.fill("   ")
    ana.locator("#q-1").get_by_role("button", name="Post answer").click()
    error = ana.locator("#answer-error-1")
    expect(error).not_to_be_empty()
    expect(ana_box).to_have_attribute("aria-invalid", "true")
    expect(ana_box).to_have_value("   ")
    # Then she writes a real answer; the classmates' answers appear.
    ana_box.fill("Ana: pair on the prompts.")
    ana.locator("#q-1").get_by_role("button", name="Post answer").click()
    expect(ana.locator("#q-1 .my-answer")).to_contain_text("pair on the prompts")
    expect(ana.locator("#q-1-answers")).to_contain_text("read the diff", timeout=LIVE_MS)
    expect(board.locator(".board-answers")).to_contain_text("pair on the prompts", timeout=LIVE_MS)

    # Ana edits her answer; the board shows the new text.
    ana.locator("#q-1").get_by_text("Edit your answer").click()
    edit_box = ana.locator("#q-1 .edit-answer").get_by_label("Your answer")
    edit_box.fill("Ana: pair on the prompts, then test.")
    ana.locator("#q-1").get_by_role("button", name="Save changes").click()
    expect(ana.locator("#q-1 .my-answer .answer-text")).to_have_text(
        "Ana: pair on the prompts, then test."
    )
    expect(board.locator(".board-answers")).to_contain_text("then test", timeout=LIVE_MS)

    # Chloe posts, then upvotes Ana's answer; the board counts the vote.
    chloe.locator("#q-1").get_by_label("Your answer").fill("Chloe: small steps.")
    chloe.locator("#q-1").get_by_role("button", name="Post answer").click()
    anas = chloe.locator("#q-1-answers li", has_text="then test")
    expect(anas).to_be_visible(timeout=LIVE_MS)
    anas.get_by_role("button", name="Upvote").click()
    expect(anas.get_by_role("button", name="Upvote")).to_have_attribute("aria-pressed", "true")
    expect(board.locator(".board-answers li", has_text="then test")).to_contain_text(
        "1 vote", timeout=LIVE_MS
    )
    expect(board.locator(".board-answers > li")).to_have_count(3, timeout=LIVE_MS)

    # The facilitator hides Ben's answer and pins Ana's; the board and the students follow.
    moderation = console.locator("#answers-1")
    moderation.locator("li", has_text="read the diff").get_by_role("button", name="Hide").click()
    expect(board.locator(".board-answers")).not_to_contain_text("read the diff", timeout=LIVE_MS)
    expect(ana.locator("#q-1-answers")).not_to_contain_text("read the diff", timeout=LIVE_MS)
    expect(board.locator(".board-answers > li")).to_have_count(2)
    moderation.locator("li", has_text="then test").get_by_role("button", name="Pin").click()
    pinned = board.locator(".board-answers > li").first
    expect(pinned).to_contain_text("then test", timeout=LIVE_MS)
    expect(pinned).to_contain_text("Pinned")
    expect(chloe.locator("#q-1-answers li", has_text="then test")).to_contain_text(
        "Pinned", timeout=LIVE_MS
    )

    # The session ends (after a confirm dialog): every screen says so.
    console.get_by_role("button", name="End session").click()
    # The console says so at once, from the stream (no reload): the banner, no End button.
    expect(console.locator("#ended")).to_contain_text(ENDED, timeout=LIVE_MS)
    expect(console.get_by_role("button", name="End session")).to_have_count(0)
    for p in screens:
        expect(p.locator("#ended")).to_contain_text(ENDED, timeout=LIVE_MS)
    session.refresh_from_db()
    assert not session.is_live

    # The summary and exports (if that work has landed: see the report when it has not).
    summary_ready = urlopen_status(f"{base}/facilitate/{code}/summary/") != 404
    if summary_ready:
        console.goto(f"/facilitate/{code}/summary/")
        expect(console.get_by_role("heading", level=1)).to_be_visible()
        for fmt in ("md", "csv", "json", "html"):
            response = console.request.get(f"{base}/facilitate/{code}/export/{fmt}")
            assert response.ok, f"export {fmt}: {response.status}"
            assert "attachment" in response.headers.get("content-disposition", ""), fmt
            assert "pair on the prompts" in response.text(), fmt
