"""A student's page survives the server going away: it says so, reconnects, and catches up."""

import pytest
from playwright.sync_api import expect

from seminar import services
from tests.browser.conftest import start_server
from tests.browser.support import join_by_link, make_session, sign_in, step_index, wait_live

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The ws extension retries with full-jitter backoff (1 s, 2 s, 4 s... ceilings): be patient.
RECONNECT_MS = 30_000


def test_room_reconnects_after_a_crash_and_shows_what_it_missed(server, pages):
    session = make_session(title="Crash test")
    facilitator = session.facilitator
    room = pages.open("student")
    join_by_link(room, server.url, session.code, "Ana")
    status = room.locator("#live-status")
    expect(status).to_have_text("Live")
    expect(status).to_have_attribute("role", "status")
    expect(room.locator("#stage")).to_have_attribute("data-kind", "lobby")

    server.stop(kill=True)
    expect(status).to_have_text("Reconnecting…", timeout=10_000)
    expect(status).to_have_attribute("data-state", "reconnecting")

    # While the page is cut off, the class moves on: a theme, and question 1 opens.
    theme = step_index(session, "theme", 2)
    session = services.step_go(session=session, by=facilitator, to=theme)
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)

    restarted = start_server(port=server.port)
    try:
        expect(status).to_have_text("Live", timeout=RECONNECT_MS)
        stage = room.locator("#stage")
        expect(stage).to_have_attribute("data-kind", "theme")
        expect(stage).to_contain_text(session.guide.themes.get(number=2).title)
        expect(room.locator("#q-1").get_by_label("Your answer")).to_be_visible()
        # And it is live again: the facilitator's next move arrives without a reload.
        console = pages.open("facilitator")
        sign_in(console, server.url)
        console.goto(f"/facilitate/{session.code}/")
        wait_live(console)
        console.get_by_role("button", name="Next step").click()
        expect(stage).to_contain_text(session.guide.themes.get(number=3).title, timeout=10_000)
    finally:
        restarted.stop()
