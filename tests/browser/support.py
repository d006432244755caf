"""Helpers for browser tests: data made through the ORM and services, and page checks."""

import re
from pathlib import Path
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from tests.servers import ROOT

PASSWORD = "correct-horse-battery"
GUIDE_FILE = ROOT / "guide" / "data" / "dangerous-illusion-of-ai-coding.txt"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
# Time for a live update to reach another browser (usually well under a second).
LIVE_MS = 10_000


def make_facilitator(username: str = "ada", password: str = PASSWORD):
    return get_user_model().objects.create_user(username, password=password)


def make_guide():
    """The default guide, imported the way `load_guide` does."""
    from guide.services import guide_import

    return guide_import(text=GUIDE_FILE.read_text(encoding="utf-8"), filename=GUIDE_FILE.name).guide


def make_session(facilitator=None, guide=None, **kwargs):
    from seminar import services

    return services.session_start(
        facilitator=facilitator or make_facilitator(), guide=guide or make_guide(), **kwargs
    )


def step_index(session, kind: str, number: int | None = None) -> int:
    from seminar import selectors

    for step in selectors.agenda(session):
        if step.kind == kind and (number is None or step.number == number):
            return step.index
    raise LookupError(f"no {kind} step {number or ''} in the agenda")


def sign_in(page: Page, base_url: str, username: str = "ada", password: str = PASSWORD) -> None:
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/facilitate/$"))


def join_by_link(page: Page, base_url: str, code: str, name: str) -> None:
    page.goto(f"{base_url}/j/{code}")
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Join").click()
    expect(page).to_have_url(f"{base_url}/s/{code}/")
    wait_live(page)


def wait_live(page: Page, timeout: float = LIVE_MS) -> None:
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live", timeout=timeout)


def screenshot(page: Page, name: str, *, full_page: bool = False) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    # caret="initial": hiding the caret injects a <style>, which the page's CSP (rightly) refuses.
    page.screenshot(path=str(path), full_page=full_page, caret="initial")
    return path


def same_origin(url: str, base_url: str) -> bool:
    """True for http(s)/ws(s) URLs on the server's host and port, and for data: URIs."""
    if url.startswith(("data:", "blob:", "about:")):
        return True
    parts, base = urlsplit(url), urlsplit(base_url)
    return parts.hostname == base.hostname and parts.port == base.port


ANSWERS = [
    ("Ana", "Pair on the prompts, then read every line of the diff before it is merged."),
    ("Ben", "Keep the loop small: ask, run, look at the result, and only then ask again."),
    ("Chloe", "Write the test first so the tool has something concrete to aim at."),
    (
        "Dmitri",
        "Honestly I think the risk is that we stop building a mental model of the code at all. "
        "When the assistant writes the function, nobody in the room can explain why it works, "
        "and a long answer like this one has to wrap neatly on every screen without overflowing "
        "its card: https://example.invalid/a/very/long/link/without/any/spaces/at/all/to/break",
    ),
]


def seed_class(*, title: str = "Tuesday seminar"):
    """A session on question 1 with four students' answers, votes, one pinned and one hidden.

    Returns (session, participants by name, answers by name); Eve joined but did not answer."""
    from seminar import services

    session = make_session(title=title)
    by = session.facilitator
    people = {
        name: services.participant_join(session=session, name=name)
        for name in ["Ana", "Ben", "Chloe", "Dmitri", "Eve"]
    }
    session = services.step_go(session=session, by=by, to=step_index(session, "question", 1))
    services.question_set_open(session=session, by=by, number=1, is_open=True)
    answers = {}
    for name, text in ANSWERS:
        answers[name], _ = services.answer_post(
            participant=people[name], number=1, text=text, client_token=None
        )
    for voter in ["Ben", "Chloe", "Dmitri"]:
        services.vote_toggle(participant=people[voter], answer_id=answers["Ana"].pk)
    services.vote_toggle(participant=people["Ana"], answer_id=answers["Chloe"].pk)
    services.answer_set_pinned(session=session, by=by, answer_id=answers["Ben"].pk, pinned=True)
    session.refresh_from_db()
    return session, people, answers


def act_as(page: Page, base_url: str, participant) -> None:
    """Give this page's browser context the session cookie of a student who joined."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    from seminar import identity

    store = SessionStore()
    identity.remember(store, participant)
    store.save()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": store.session_key, "url": base_url}]
    )


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {node.get('failureSummary', '')[:300]}")
    return "\n".join(lines)


def urlopen_status(url: str) -> int:
    """Status of an anonymous GET (a redirect to sign in counts as the page existing)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wait_snapshot(page: Page) -> None:
    """Live, and the first snapshot applied (someone, at least this page, is counted as here)."""
    wait_live(page)
    expect(page.locator("#presence")).not_to_have_text(re.compile(r"^\s*0 here"), timeout=LIVE_MS)


# Answers as a class writes them: a few words, a sentence, a paragraph.
CLASS_ANSWERS = [
    "Read every line of the diff.",
    "Pair on the prompt, then review the output together before merging anything.",
    "Keep the loop small: ask, run, look at the result, and only then ask again. The tool is "
    "fast, so the bottleneck becomes our attention, and attention is what we should protect.",
    "Tests first.",
    "I think the risk is that we stop building a mental model of the code. When the assistant "
    "writes the function, nobody in the room can explain why it works, and then nobody can "
    "fix it when it breaks at two in the morning.",
    "Use it for boilerplate, not for the design.",
]


def seed_big_class(*, students: int = 49, answers: int = 48):
    """A real class: `students` joined and in the room, `answers` of them answered question 1
    (open, on the board), one answer pinned. Returns (session, participants in join order)."""
    from seminar import services
    from seminar.models import Attendance

    session = make_session(title="Thursday seminar")
    by = session.facilitator
    people = [
        services.participant_join(session=session, name=f"Student {i + 1:02d}")
        for i in range(students)
    ]
    session = services.step_go(session=session, by=by, to=step_index(session, "question", 1))
    state = services.question_set_open(session=session, by=by, number=1, is_open=True)
    # All of them were in the room while it was open (they have no sockets here).
    Attendance.objects.bulk_create([Attendance(state=state, participant=p) for p in people])
    posted = []
    for i, person in enumerate(people[:answers]):
        text = f"{CLASS_ANSWERS[i % len(CLASS_ANSWERS)]} ({person.name})"
        answer, _ = services.answer_post(participant=person, number=1, text=text, client_token=None)
        posted.append(answer)
    services.answer_set_pinned(session=session, by=by, answer_id=posted[4].pk, pinned=True)
    session.refresh_from_db()
    return session, people
