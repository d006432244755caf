"""Answers, votes and moderation reach the right sockets, live."""

import uuid

import pytest
from channels.db import database_sync_to_async

from seminar import identity, services
from tests.live_clients import communicator, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def connected(path, client=None):
    comm = communicator(path, client)
    ok, _ = await comm.connect()
    assert ok
    await receive_until(comm, "snapshot")
    return comm


def as_student(client_factory, participant):
    client = client_factory()
    s = client.session
    identity.remember(s, participant)
    s.save()
    return client


@pytest.fixture
def classroom(session, facilitator, participant):
    """Question 1 open, Ana and Ben in the room, the board on question 1."""
    ben = services.participant_join(session=session, name="Ben")
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    services.step_go(session=session, by=facilitator, to=7)
    return {"ana": participant, "ben": ben}


async def test_a_post_reaches_the_board_and_the_author_but_not_a_student_who_has_not_answered(
    session, classroom, facilitator_client, settings
):
    from django.test import Client

    # Who is here is published as each socket connects, not a moment later: no presence frame
    # can come after the post's, so "nothing more reaches Ben" below means what it says.
    settings.SEMINAR_PRESENCE_DELAY = 0

    ana_client = await database_sync_to_async(as_student)(Client, classroom["ana"])
    ben_client = await database_sync_to_async(as_student)(Client, classroom["ben"])
    board = await connected(f"/ws/s/{session.code}/board/")
    ana = await connected(f"/ws/s/{session.code}/", ana_client)
    ben = await connected(f"/ws/s/{session.code}/", ben_client)
    console = await connected(f"/ws/facilitate/{session.code}/", facilitator_client)

    answer, _ = await database_sync_to_async(services.answer_post)(
        participant=classroom["ana"],
        number=1,
        text="Slow down and read the diff",
        client_token=uuid.uuid4(),
    )
    frame = await receive_until(board, f'id="answer-{answer.pk}"')
    assert (
        "Slow down and read the diff" in frame and "Ana" not in frame
    )  # names hidden on the board
    frame = await receive_until(console, f'id="answer-{answer.pk}"')
    assert "Ana" in frame
    frame = await receive_until(ana, "Slow down and read the diff")  # the author's reveal
    assert 'id="q-1-answers"' in frame
    # Ben has not answered: he learns the count, never the text.
    frame = await receive_until(ben, "1 answer")
    assert 'id="q-1-state"' in frame and "Slow down" not in frame
    assert await ben.receive_nothing(timeout=0.3)

    # Ben answers: now he is a reader, and later answers reach him live.
    await database_sync_to_async(services.answer_post)(
        participant=classroom["ben"], number=1, text="Pair review", client_token=uuid.uuid4()
    )
    frame = await receive_until(ben, "Slow down and read the diff")

    # Votes, pins, hides: live everywhere; hidden text never leaves the facilitator.
    await database_sync_to_async(services.vote_toggle)(
        participant=classroom["ben"], answer_id=answer.pk
    )
    assert "<strong>1</strong> vote" in await receive_until(board, f'id="answer-{answer.pk}"')
    # Ben's own mark is his overlay: which answers he upvoted, on every tab of his.
    assert f'data-votes="{answer.pk}"' in await receive_until(ben, 'id="me"')
    await database_sync_to_async(services.answer_set_pinned)(
        session=session, by=await _user(session), answer_id=answer.pk, pinned=True
    )
    assert 'data-pinned="1"' in await receive_until(board, f'id="answer-{answer.pk}"')
    await database_sync_to_async(services.answer_set_hidden)(
        session=session, by=await _user(session), answer_id=answer.pk, hidden=True
    )
    for comm in (board, ana, ben):
        frame = await receive_until(comm, f'<i id="answer-{answer.pk}" data-remove hidden>')
        assert "Slow down" not in frame
    for comm in (board, ana, ben, console):
        await comm.disconnect()


async def _user(session):
    return await database_sync_to_async(lambda: session.facilitator)()


async def test_closing_a_question_reveals_answers_to_every_student(session, classroom, facilitator):
    from django.test import Client

    await database_sync_to_async(services.answer_post)(
        participant=classroom["ana"], number=1, text="Kept for later", client_token=uuid.uuid4()
    )
    ben_client = await database_sync_to_async(as_student)(Client, classroom["ben"])
    ben = await connected(f"/ws/s/{session.code}/", ben_client)
    await database_sync_to_async(services.question_set_open)(
        session=session, by=facilitator, number=1, is_open=False
    )
    frame = await receive_until(ben, "Kept for later")
    assert 'id="q-1-answers"' in frame
    # And a reconnect keeps it revealed.
    await ben.disconnect()
    ben = await connected(f"/ws/s/{session.code}/", ben_client)
    await ben.send_json_to({"type": "resync"})
    assert "Kept for later" in await receive_until(ben, "snapshot")
    await ben.disconnect()


async def test_a_reconnecting_student_is_made_whole(session, classroom, facilitator):
    """Missed while away: a step change, a hide, a pin and a vote; the snapshot has them all."""
    from django.test import Client

    ana_client = await database_sync_to_async(as_student)(Client, classroom["ana"])
    first, _ = await database_sync_to_async(services.answer_post)(
        participant=classroom["ana"], number=1, text="First", client_token=uuid.uuid4()
    )
    second, _ = await database_sync_to_async(services.answer_post)(
        participant=classroom["ben"], number=1, text="Second", client_token=uuid.uuid4()
    )
    ana = await connected(f"/ws/s/{session.code}/", ana_client)
    await ana.disconnect()
    await database_sync_to_async(services.step_go)(session=session, by=facilitator, to=8)
    await database_sync_to_async(services.answer_set_hidden)(
        session=session, by=facilitator, answer_id=first.pk, hidden=True
    )
    await database_sync_to_async(services.answer_set_pinned)(
        session=session, by=facilitator, answer_id=second.pk, pinned=True
    )
    await database_sync_to_async(services.vote_toggle)(
        participant=classroom["ana"], answer_id=second.pk
    )

    comm = communicator(f"/ws/s/{session.code}/", ana_client)
    await comm.connect()
    snapshot = await receive_until(comm, "snapshot")
    assert 'data-focus-question="2"' in snapshot
    assert f'id="answer-{first.pk}"' not in snapshot
    assert f'id="answer-{second.pk}"' in snapshot and 'data-pinned="1"' in snapshot
    assert 'aria-pressed="true"' in snapshot and "<strong>1</strong> vote" in snapshot
    assert f'data-votes="{second.pk}"' in snapshot
    await comm.disconnect()
