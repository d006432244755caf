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
        slug="small-guide", title="A Small Guide", subtitle="Someone", overview="What it is about.",
        content_hash="x",
    )
    for n, title in enumerate(["Origins", "Abstractions", "Creativity"], start=1):
        Theme.objects.create(guide=guide, number=n, title=title, body=f"Body of theme {n}.")
    Quote.objects.create(guide=guide, position=1, text="A first quote.", attribution="Someone")
    Quote.objects.create(guide=guide, position=2, text="A second quote.")
    Reference.objects.create(guide=guide, position=1, name="Fred Brooks", description="No Silver Bullet")
    Reference.objects.create(guide=guide, position=2, name="Bret Victor", description="Direct manipulation")
    for n in range(1, 4):
        Question.objects.create(guide=guide, number=n, text=f"Discussion question {n}?")
    return guide
