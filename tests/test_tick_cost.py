"""What one tick costs does not grow with the class, its answers, or the features in use
(issue 24): the queries and the regions rendered for a post's tick are the same at 10 and
1,000 students and at 1 and 1,000 answers, with every feature a teacher turns on (a round, the
word cloud on the board, approve-first or not, a spotlight with replies, a console and a
moderator's phone watching). The panels that read the whole class render only for a console
that is here. The time it takes is bench/run.py's to measure, not a test's."""

from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from seminar import audiences, broadcast, screens, services, ticks
from seminar.changes import Change
from tests.helpers import grow_class

STUDENTS_ONLY = frozenset({audiences.STUDENTS, audiences.BOARD})


@pytest.fixture
def published(monkeypatch):
    sent = []
    monkeypatch.setattr(broadcast, "send", lambda session_id, message: sent.append(message))
    return sent


@pytest.fixture
def rendered(monkeypatch):
    """Each region rendered, by its template partial."""
    counts = Counter()
    real = screens.render

    def counting(template_name, context, request=None):
        counts[template_name] += 1
        return real(template_name, context, request)

    monkeypatch.setattr(screens, "render", counting)
    return counts


def teach(session, facilitator, *, approve_first: bool) -> None:
    """Every feature on: question 1 in a round (Share) with a countdown, the board on its word
    cloud, an answer to question 2 in the spotlight with replies, a moderator link claimed."""
    services.session_update_settings(session=session, by=facilitator, answer_first=False)
    for number in (1, 2, 3):
        services.question_set_open(session=session, by=facilitator, number=number, is_open=True)
    steps = [s.kind for s in screens.State.load(session.pk).steps]
    session = services.step_go(session=session, by=facilitator, to=steps.index("question"))
    services.round_phase(session=session, by=facilitator, number=1, phase="share", seconds=600)
    services.question_set_board_view(session=session, by=facilitator, number=1, view="cloud")
    speaker = services.participant_join(session=session, name="Spotlit")
    spotlit, _ = services.answer_post(
        participant=speaker, number=2, text="Tests say what code is for.", client_token=None
    )
    for i, move in enumerate(("build", "challenge")):
        replier = services.participant_join(session=session, name=f"Replier {i}")
        services.reply_post(
            participant=replier,
            answer_id=spotlit.pk,
            move=move,
            text="Yes, and.",
            client_token=None,
        )
    services.answer_spotlight(session=session, by=facilitator, answer_id=spotlit.pk)
    link, _ = services.moderator_link_create(session=session, by=facilitator)
    services.moderator_link_claim(link=link, device_key="phone")
    if approve_first:
        services.session_update_settings(session=session, by=facilitator, approve_first=True)


def grow(session, *, students: int, answers: int) -> None:
    """The class to `students`, present for every open question, and question 1 to `answers`."""
    grow_class(session, students=students, answers=answers, attended=True)


def post_tick(session, published, rendered, django_capture_on_commit_callbacks, *, name, here):
    """A student posts to question 1; the tick that carries it, and the refresh of the panels
    that follows it, are rendered as a process with sockets of `here` renders them. Returns
    (queries, regions rendered)."""
    poster = services.participant_join(session=session, name=name)
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_post(
            participant=poster, number=1, text="Pair on prompts, then test.", client_token=None
        )
    (message,) = [m for m in published if m["type"] == "change"]
    version, change = message["version"], Change.from_message(message["change"])
    rendered.clear()
    with CaptureQueriesContext(connection) as queries:
        out = ticks.render(session.pk, version, version, change, here=here)
        ticks.render_refresh(session.pk, version, change, here=here)
    assert any("Pair on prompts" in html for _, html in out["parts"])  # the answer went out
    return len(queries), dict(rendered)


@pytest.mark.django_db
@pytest.mark.parametrize("approve_first", [False, True], ids=["open", "approve-first"])
def test_a_tick_costs_the_same_from_10_to_1000_students_and_answers(
    session, facilitator, published, rendered, django_capture_on_commit_callbacks, approve_first
):
    teach(session, facilitator, approve_first=approve_first)
    grow(session, students=10, answers=1)
    small = post_tick(
        session,
        published,
        rendered,
        django_capture_on_commit_callbacks,
        name="Poster A",
        here=screens.EVERYONE,
    )
    grow(session, students=1000, answers=1000)
    assert session.guide.questions.get(number=1).answers.count() >= 1000
    large = post_tick(
        session,
        published,
        rendered,
        django_capture_on_commit_callbacks,
        name="Poster B",
        here=screens.EVERYONE,
    )
    assert small[0] == large[0], f"{small[0]} queries at 10 students, {large[0]} at 1,000"
    assert small[1] == large[1], "regions rendered differ between 10 and 1,000 students"
    # The console's panels were among them: they are what grew with the class before.
    assert "seminar/console.html#participation" in large[1]
    assert "seminar/console.html#missing" in large[1]


@pytest.mark.django_db
def test_with_no_console_here_a_tick_renders_and_asks_nothing_for_one(
    session, facilitator, published, rendered, django_capture_on_commit_callbacks
):
    teach(session, facilitator, approve_first=False)
    grow(session, students=200, answers=200)
    queries, regions = post_tick(
        session,
        published,
        rendered,
        django_capture_on_commit_callbacks,
        name="Poster A",
        here=STUDENTS_ONLY,
    )
    assert not [name for name in regions if name.startswith("seminar/console.html")]
    assert not [name for name in regions if name.startswith("seminar/moderate.html")]
    everyone = post_tick(
        session,
        published,
        rendered,
        django_capture_on_commit_callbacks,
        name="Poster B",
        here=screens.EVERYONE,
    )
    assert queries < everyone[0]  # Participation, not answered yet and key terms: not asked


@pytest.mark.django_db
def test_a_tick_leaves_the_panels_to_the_refresh_that_follows_it(
    session, facilitator, published, rendered, django_capture_on_commit_callbacks
):
    """A tick renders only what changed for the screens, and the refresh that follows it
    (seminar/ticks.py) the panels alone: reading the whole class never holds back the answer
    on its way to the class."""
    teach(session, facilitator, approve_first=False)
    grow(session, students=50, answers=50)
    poster = services.participant_join(session=session, name="Poster")
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_post(participant=poster, number=1, text="A post.", client_token=None)
    (message,) = [m for m in published if m["type"] == "change"]
    version, change = message["version"], Change.from_message(message["change"])
    rendered.clear()
    tick = ticks.render(session.pk, version, version, change)
    assert "seminar/console.html#participation" not in rendered
    assert "seminar/console.html#missing" not in rendered
    rendered.clear()
    refresh = ticks.render_refresh(session.pk, version, change)
    assert refresh["refresh"] and (refresh["from"], refresh["version"]) == (version, version)
    assert rendered["seminar/console.html#participation"] == 1
    assert rendered["seminar/console.html#missing"] == 1
    assert {audience for audience, _ in refresh["parts"]} == {audiences.FACILITATOR}
    assert tick["version"] == version
