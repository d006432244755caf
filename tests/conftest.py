"""Fixtures chain the way a class does: guide -> session -> participant -> answer."""

import pytest
from django.contrib.auth import get_user_model

from guide.models import Guide, Question, Quote, Reference, Theme


@pytest.fixture
def facilitator(db):
    return get_user_model().objects.create_user("ada", password="correct-horse-battery")


@pytest.fixture
def other_facilitator(db):
    return get_user_model().objects.create_user("grace", password="correct-horse-battery")


@pytest.fixture
def guide(db):
    """A small guide made directly, so live-session tests do not depend on the importer."""
    guide = Guide.objects.create(
        slug="small-guide",
        title="A Small Guide",
        subtitle="Someone",
        overview="What it is about.",
        content_hash="x",
    )
    for n, title in enumerate(["Origins", "Abstractions", "Creativity"], start=1):
        Theme.objects.create(guide=guide, number=n, title=title, body=f"Body of theme {n}.")
    Quote.objects.create(guide=guide, position=1, text="A first quote.", attribution="Someone")
    Quote.objects.create(guide=guide, position=2, text="A second quote.")
    Reference.objects.create(
        guide=guide, position=1, name="Fred Brooks", description="No Silver Bullet"
    )
    Reference.objects.create(
        guide=guide, position=2, name="Bret Victor", description="Direct manipulation"
    )
    for n in range(1, 4):
        Question.objects.create(guide=guide, number=n, text=f"Discussion question {n}?")
    return guide


@pytest.fixture
def broadcasts(monkeypatch, transactional_db):
    """Capture every message published to a session's stream, in order, each change rendered
    as a quiet room's tick renders it: at once, on its own, then the refresh of the panels it
    touched (tests/live_model.Published).

    Transactional, so changes are published on commit exactly as in production."""
    from seminar import broadcast
    from tests.helpers import Broadcasts
    from tests.live_model import Published

    sent = Broadcasts()

    def capture(session_id, message):
        published = Published(session_id, message)
        sent.append(published.rendered if published.rendered is not None else message)
        if published.panels is not None:
            sent.append(published.panels)

    monkeypatch.setattr(broadcast, "send", capture)
    return sent


@pytest.fixture
def session(facilitator, guide):
    from seminar import services

    return services.session_start(facilitator=facilitator, guide=guide, title="Tuesday seminar")


@pytest.fixture
def participant(session):
    from seminar import services

    return services.participant_join(session=session, name="Ana")


@pytest.fixture
def student_client(client, participant):
    """A browser that joined as `participant`."""
    from seminar import identity

    django_session = client.session
    identity.remember(django_session, participant)
    django_session.save()
    return client


@pytest.fixture
def facilitator_client(client, facilitator):
    client.force_login(facilitator)
    return client


@pytest.fixture
def owner(facilitator):
    """The facilitator's browser, answering errors as a server would (never raising them)."""
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(facilitator)
    return client


@pytest.fixture
def open_question(session, facilitator):
    from seminar import services

    return services.question_set_open(session=session, by=facilitator, number=1, is_open=True)


@pytest.fixture
def answer(participant, open_question):
    from seminar import services

    answer, _ = services.answer_post(
        participant=participant, number=1, text="Pair on the prompts.", client_token=None
    )
    return answer


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
