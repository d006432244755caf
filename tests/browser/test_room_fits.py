"""A student's screen in a real class (issue 15): when a question opens, the student sees it
and the answer box comes into view, on a phone and on a laptop."""

import pytest
from playwright.sync_api import expect

from seminar import services
from tests.browser.support import (
    LIVE_MS,
    act_as,
    make_session,
    screenshot,
    sign_in,
    step_index,
    wait_live,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = [{"width": 390, "height": 844}, {"width": 1366, "height": 768}]

IN_VIEW = """(sel) => {
  const r = document.querySelector(sel).getBoundingClientRect();
  return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
}"""


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s['width']}x{s['height']}")
def test_a_question_that_opens_comes_into_view(server, pages, screen):
    session = make_session(title="Thursday seminar", answer_first=False)
    by = session.facilitator
    people = [
        services.participant_join(session=session, name=f"Student {i:02d}") for i in range(30)
    ]
    session = services.step_go(session=session, by=by, to=step_index(session, "question", 2))
    services.question_set_open(session=session, by=by, number=2, is_open=True)
    for person in people:
        services.answer_post(
            participant=person,
            number=2,
            text=f"An answer to read ({person.name}).",
            client_token=None,
        )
    phone = screen["width"] < 600
    student = pages.open("student", viewport=screen, is_mobile=phone, has_touch=phone)
    act_as(student, server.url, people[0])
    student.goto(f"{server.url}/s/{session.code}/")
    wait_live(student)
    # Reading classmates' answers to question 2, far down the page.
    student.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    assert not student.evaluate(IN_VIEW, "#q-2-state")

    # The facilitator moves on to question 1 and opens it, from the console.
    console = pages.open("console", viewport={"width": 1366, "height": 768})
    sign_in(console, server.url)
    console.goto(f"{server.url}/facilitate/{session.code}/")
    wait_live(console)
    console.locator("#agenda-nav").get_by_role("button").nth(
        step_index(session, "question", 1)
    ).click()
    expect(student.locator("#stage")).to_have_attribute("data-focus-question", "1", timeout=LIVE_MS)
    console.locator("#qc-1").get_by_role("button", name="Open question").click()
    box = student.locator("#answer-text-1")
    expect(box).to_be_visible(timeout=3000)
    for what in ("#q-1-state", "#answer-text-1"):  # the question, and the box beneath it
        student.wait_for_function(f"() => ({IN_VIEW})('{what}')", timeout=3000)
    size = f"{screen['width']}x{screen['height']}"
    screenshot(student, f"room-{size}-question-opened")
    post = student.locator("#q-1").get_by_role("button", name="Post answer")
    assert student.evaluate(IN_VIEW, "#q-1 .answer-form button[type=submit]"), "Post off screen"
    # The question is said once: its card has the text; the step panel points to it.
    question = session.guide.questions.get(number=1).text
    assert student.get_by_text(question, exact=True).count() == 1
    box.fill("Review every diff together.")
    post.click()
    expect(student.locator("#q-1-mine")).to_contain_text("Review every diff together.")
