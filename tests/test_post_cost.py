"""A post costs the same few queries whether the class has 10 students or 1,000, and whether the
question has 1 answer or 1,000: the post path does only its own write (issue 14). Its CPU is
measured by bench/post_cost.py, not here."""

import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from seminar import identity, services
from tests.helpers import grow_class

MAX_QUERIES = 10


def _grow(session, students: int, answers: int) -> None:
    grow_class(session, students=students, answers=answers)


def _poster(session, name: str) -> Client:
    participant = services.participant_join(session=session, name=name)
    client = Client()
    django_session = client.session
    identity.remember(django_session, participant)
    django_session.save()
    return client


def _post_queries(session, client, django_capture_on_commit_callbacks) -> int:
    url = f"/s/{session.code}/q/1/answer/"
    with CaptureQueriesContext(connection) as queries:
        with django_capture_on_commit_callbacks(execute=True):  # the publish too
            response = client.post(
                url,
                {"text": "Read the diff.", "client_token": uuid.uuid4()},
                HTTP_HX_REQUEST="true",
            )
    assert response.status_code == 200, response.content
    assert b"Read the diff." in response.content  # the student's own box shows their answer
    return len(queries)


@pytest.mark.django_db
def test_a_post_costs_the_same_few_queries_from_10_to_1000_students(
    session, facilitator, open_question, django_capture_on_commit_callbacks
):
    _grow(session, students=10, answers=1)
    small = _post_queries(session, _poster(session, "Poster A"), django_capture_on_commit_callbacks)
    _grow(session, students=1000, answers=1000)
    assert session.guide.questions.get(number=1).answers.count() >= 1000
    large = _post_queries(session, _poster(session, "Poster B"), django_capture_on_commit_callbacks)
    assert small <= MAX_QUERIES, f"a post took {small} queries"
    assert large == small, f"{small} queries with 10 students, {large} with 1,000"


@pytest.mark.django_db
def test_a_refused_post_is_as_cheap_and_keeps_the_text(
    session, facilitator, open_question, django_capture_on_commit_callbacks
):
    client = _poster(session, "Poster A")
    _post_queries(session, client, django_capture_on_commit_callbacks)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            f"/s/{session.code}/q/1/answer/",
            {"text": "A second go", "client_token": uuid.uuid4()},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 409
    assert b"already answered" in response.content and b"A second go" in response.content
    assert len(queries) <= MAX_QUERIES + 3  # the box with the error re-reads the question
