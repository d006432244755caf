"""A send that fails outside the app never replaces what is on screen (issue 25, defect 4).

Behind nginx, a worker killed mid-class left answer POSTs in flight; nginx answered 502 and
htmx swapped "502 Bad Gateway" in place of the answer box and its text. Now only the app's own
refusals go into the page: a proxy's error page, a timeout or no network leaves the form and
its text, says it was not sent, and sends it again with the same token, so it lands once.
"""

import pytest
from playwright.sync_api import expect

from seminar.models import Answer
from tests.browser.support import LIVE_MS, act_as, seed_class, wait_snapshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "Kept through a bad gateway."
NGINX_502 = (
    "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1>"
    "</center><hr><center>nginx/1.22.1</center></body></html>"
)


def open_room(server, pages, person):
    session, people, _ = seed_class()
    student = pages.open("student")
    act_as(student, server.url, people[person])
    student.goto(f"/s/{session.code}/")
    wait_snapshot(student)
    return session, people, student


def answer_box(student):
    box = student.locator("#q-1")
    box.get_by_label("Your answer").fill(TEXT)
    return box


def test_a_proxys_502_keeps_the_form_and_its_text_and_the_retry_lands_once(server, pages):
    session, people, student = open_room(server, pages, "Eve")
    calls = []

    def gateway_down_once(route):
        calls.append(route.request.post_data)
        if len(calls) == 1:
            route.fulfill(status=502, content_type="text/html", body=NGINX_502)
        else:
            route.continue_()

    student.route(f"**/s/{session.code}/q/1/answer/", gateway_down_once)
    box = answer_box(student)
    box.get_by_role("button", name="Post answer").click()
    alert = box.locator(".send-error")
    expect(alert).to_contain_text("error 502", timeout=LIVE_MS)
    expect(alert).to_contain_text("not sent yet")
    expect(alert).to_contain_text("Your text is kept")
    assert "Bad Gateway" not in student.content()
    expect(box.get_by_label("Your answer")).to_have_value(TEXT)
    # It tries again by itself, with the same token, and lands once.
    expect(box.locator(".my-answer")).to_contain_text(TEXT, timeout=LIVE_MS)
    expect(box.locator(".send-error")).to_have_count(0)
    assert len(calls) == 2 and calls[0] == calls[1]  # the same form, token included
    assert Answer.objects.filter(participant=people["Eve"], text=TEXT).count() == 1


def test_a_timeout_keeps_the_text_and_a_post_that_landed_is_not_doubled(server, pages):
    session, people, student = open_room(server, pages, "Eve")
    student.evaluate("htmx.config.timeout = 1500")
    held = []

    def slow_once(route):
        if not held:
            held.append(route)  # no answer: the browser gives up after its timeout
        else:
            route.continue_()

    student.route(f"**/s/{session.code}/q/1/answer/", slow_once)
    box = answer_box(student)
    box.get_by_role("button", name="Post answer").click()
    expect(box.locator(".send-error")).to_contain_text("took too long", timeout=LIVE_MS)
    expect(box.get_by_label("Your answer")).to_have_value(TEXT)
    expect(box.locator(".my-answer")).to_contain_text(TEXT, timeout=LIVE_MS)
    assert Answer.objects.filter(participant=people["Eve"], text=TEXT).count() == 1


def test_an_error_of_the_apps_own_still_says_why_in_the_form(server, pages):
    """The app's refusals (4xx, marked as its own) are still shown where they belong."""
    _, _, student = open_room(server, pages, "Eve")
    box = student.locator("#q-1")
    box.get_by_label("Your answer").fill("   ")
    box.get_by_label("Your answer").evaluate("el => el.removeAttribute('required')")
    box.get_by_role("button", name="Post answer").click()
    expect(box.locator(".error[role=alert]").first).to_contain_text("empty", timeout=LIVE_MS)
    expect(box.locator(".send-error")).to_have_count(0)
