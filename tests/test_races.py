"""Data: the database backs every rule the code relies on, and races cannot break them.

Two requests at the same moment are two threads with their own database connections
(SQLite in WAL mode with IMMEDIATE transactions, or PostgreSQL): whatever order they land in,
the rows obey the rules and nobody gets a 500. And a deleted session leaves nothing behind.
"""

import threading
import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client

from seminar import codes, identity, services
from seminar.errors import SessionError
from seminar.models import Answer, Participant, Session, Vote
from tests.helpers import at_once

pytestmark = pytest.mark.django_db(transaction=True)


def student(participant) -> Client:
    client = Client()
    django_session = client.session
    identity.remember(django_session, participant)
    django_session.save()
    return client


# --- the constraints themselves ---


def test_the_database_refuses_a_second_answer_to_the_same_question(answer):
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(
            session=answer.session,
            question=answer.question,
            participant=answer.participant,
            text="Again",
        )


def test_the_database_refuses_the_same_client_token_twice(answer, session, facilitator):
    services.question_set_open(session=session, by=facilitator, number=2, is_open=True)
    question2 = session.guide.questions.get(number=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(
            session=session,
            question=question2,
            participant=answer.participant,
            text="Other",
            client_token=answer.client_token,
        )


def test_the_database_refuses_a_second_vote(answer, session):
    ben = services.participant_join(session=session, name="Ben")
    Vote.objects.create(answer=answer, participant=ben)
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(answer=answer, participant=ben)


def test_the_database_refuses_a_join_code_twice(session, facilitator, guide):
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.create(code=session.code, guide=guide, facilitator=facilitator)


def test_the_database_refuses_a_name_twice_in_a_session_whatever_the_case(participant):
    with pytest.raises(IntegrityError), transaction.atomic():
        Participant.objects.create(session=participant.session, name=participant.name.upper())


# --- races ---


def test_the_same_post_twice_at_once_is_one_answer(participant, open_question):
    token = uuid.uuid4()
    post = lambda: services.answer_post(  # noqa: E731
        participant=participant, number=1, text="Only once", client_token=token
    )
    results = at_once(post, post)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sorted(created for _, created in results) == [False, True]
    assert results[0][0].pk == results[1][0].pk
    assert Answer.objects.filter(participant=participant).count() == 1


def test_two_different_posts_to_one_question_at_once_keep_one(participant, open_question):
    results = at_once(
        *[
            lambda i=i: services.answer_post(
                participant=participant, number=1, text=f"Version {i}", client_token=uuid.uuid4()
            )
            for i in range(4)
        ]
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 3 and all(
        isinstance(e, SessionError) and e.code == "duplicate" for e in errors
    ), results
    assert Answer.objects.filter(participant=participant).count() == 1


def test_a_double_submitted_form_is_one_answer_and_no_500(participant, open_question, session):
    """The same form (same token) sent twice by an impatient click, over HTTP."""
    token = str(uuid.uuid4())
    clients = [student(participant), student(participant)]
    url = f"/s/{session.code}/q/1/answer/"
    results = at_once(
        *[lambda c=c: c.post(url, {"text": "Click click", "client_token": token}) for c in clients]
    )
    assert [r.status_code for r in results] == [302, 302]
    assert Answer.objects.filter(participant=participant).count() == 1


def test_two_tabs_posting_different_answers_at_once_get_one_row_and_a_409(
    participant, open_question, session
):
    url = f"/s/{session.code}/q/1/answer/"
    results = at_once(
        *[
            lambda i=i: student(participant).post(
                url, {"text": f"Tab {i}", "client_token": str(uuid.uuid4())}
            )
            for i in range(2)
        ]
    )
    assert sorted(r.status_code for r in results) == [302, 409]
    assert Answer.objects.filter(participant=participant).count() == 1


@pytest.mark.parametrize("clicks", [2, 3])
def test_votes_clicked_at_once_never_make_two_rows(answer, session, clicks):
    """Each click toggles; however they interleave there is at most one row, and the row
    agrees with what the last click was told."""
    ben = services.participant_join(session=session, name="Ben")
    services.answer_post(participant=ben, number=1, text="Mine", client_token=None)
    results = at_once(
        *[lambda: services.vote_toggle(participant=ben, answer_id=answer.pk) for _ in range(clicks)]
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    rows = Vote.objects.filter(answer=answer, participant=ben).count()
    assert rows <= 1
    assert rows == clicks % 2  # serialised toggles: on, off, on
    assert sorted(results) == sorted([True, False, True][:clicks])


def test_votes_over_http_at_once_no_500(answer, session):
    ben = services.participant_join(session=session, name="Ben")
    services.answer_post(participant=ben, number=1, text="Mine", client_token=None)
    url = f"/s/{session.code}/answers/{answer.pk}/vote/"
    results = at_once(*[lambda: student(ben).post(url, {"value": "1"}) for _ in range(4)])
    assert [r.status_code for r in results] == [302] * 4
    # Four presses of a button that says "upvote" are one upvote, never a toggle back.
    assert Vote.objects.filter(answer=answer, participant=ben).count() == 1


def test_a_class_joining_with_the_same_name_at_once_gets_one_sam_and_clear_refusals(session):
    results = at_once(
        *[lambda: services.participant_join(session=session, name="Sam") for _ in range(4)]
    )
    joined = [r for r in results if isinstance(r, Participant)]
    refused = [r for r in results if isinstance(r, SessionError)]
    assert len(joined) == 1 and len(refused) == 3, results
    assert all(r.code == "name_taken" and r.suggestion == "Sam (2)" for r in refused)
    assert list(session.participants.values_list("name", flat=True)) == ["Sam"]


def test_the_same_name_through_the_join_form_at_once_no_500(session):
    url = f"/j/{session.code}"
    results = at_once(*[lambda: Client().post(url, {"name": "Kim"}) for _ in range(3)])
    assert sorted(r.status_code for r in results) == [302, 409, 409]
    assert Participant.objects.filter(session=session).count() == 1


def test_sessions_started_at_once_with_a_colliding_code_get_distinct_codes(
    facilitator, guide, monkeypatch
):
    """Force every first draw to be the same code: the loser draws again."""
    draws = iter(["AAAAAA", "AAAAAA", *(codes.ALPHABET[i] * 6 for i in range(2, 20))])
    lock = threading.Lock()

    def drawn():
        with lock:
            return next(draws)

    monkeypatch.setattr(codes, "new_code", drawn)
    results = at_once(
        *[lambda: services.session_start(facilitator=facilitator, guide=guide) for _ in range(2)]
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert len({s.code for s in results}) == 2
    assert "AAAAAA" in {s.code for s in results}


# --- deleting a session leaves nothing behind ---


def test_after_deleting_a_session_its_names_and_answers_are_in_no_table(
    session, facilitator, other_facilitator, guide
):
    """Scan every column of every table: the students' names and answers are gone.
    Another session's rows stay."""
    name, text, note = "Zebediah Quux", "Answer xyzzy-4711", "Note plugh-0815"
    kept = services.session_start(facilitator=other_facilitator, guide=guide)
    keeper = services.participant_join(session=kept, name="Keeper Kept")
    services.question_set_open(session=kept, by=other_facilitator, number=1, is_open=True)
    services.answer_post(participant=keeper, number=1, text="Kept answer", client_token=None)

    student_ = services.participant_join(session=session, name=name)
    ben = services.participant_join(session=session, name="Ben")
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    answer, _ = services.answer_post(participant=student_, number=1, text=text, client_token=None)
    services.answer_post(participant=ben, number=1, text="Ben's", client_token=None)
    services.vote_toggle(participant=ben, answer_id=answer.pk)
    services.answer_edit(participant=student_, answer_id=answer.pk, text=text + " edited")
    services.connection_open(participant=student_, channel_name="specific.channel!1")
    services.note_save(session=session, by=facilitator, step_key="overview", text=note)
    services.session_end(session=session, by=facilitator)
    assert _tables_containing(name) and _tables_containing(text)

    services.session_delete(session=session, by=facilitator)

    for secret in (name, text, note, session.code, "specific.channel!1"):
        assert _tables_containing(secret) == [], secret
    assert _tables_containing("Keeper Kept") and _tables_containing("Kept answer")


def _tables_containing(needle: str) -> list[str]:
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [
                c.name for c in connection.introspection.get_table_description(cursor, table)
            ]
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - our own table names
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", "replace")
                    if isinstance(value, str) and needle in value:
                        found.append(f"{table}.{column}")
    return found
