"""Rounds (issue 17): a question run as Think (answers private, whatever answer-first says),
Pair (each student sees their table's answers), Share (everyone sees everything) and Lock
(no more posts or edits), each phase with an optional countdown to the server's deadline."""

from datetime import timedelta

import lxml.html
import pytest
from django.urls import reverse
from django.utils import timezone

from seminar import audiences, screens, selectors, services
from seminar.errors import SessionError
from seminar.models import Answer, QuestionState, Seat
from tests.helpers import as_student

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def room(session, facilitator, open_question):
    """Question 1 open and on the board; six students here, four of whom answered."""
    services.step_go(session=session, by=facilitator, to=7)
    people = {}
    for name in ["Ava", "Ben", "Cy", "Dee", "Eli", "Fay"]:
        people[name] = services.participant_join(session=session, name=name)
        services.connection_open(participant=people[name], channel_name=f"tab-{name}")
    for name in ["Ava", "Ben", "Cy", "Dee"]:
        services.answer_post(
            participant=people[name], number=1, text=f"{name} thinks so.", client_token=None
        )
    return people


def state_of(session, number=1) -> QuestionState:
    return selectors.question_states(session, question__number=number)[0]


def page(client, session) -> str:
    return client.get(reverse("seminar:room", args=[session.code])).content.decode()


def answers_seen(client, session) -> set[str]:
    """The classmates' answers a student's room lists for question 1."""
    tree = lxml.html.document_fromstring(page(client, session))
    return {p.text_content() for p in tree.xpath('//ol[@id="answers-1"]//p[@class="answer-text"]')}


def phase(session, facilitator, name, **kwargs):
    return services.round_phase(session=session, by=facilitator, number=1, phase=name, **kwargs)


def test_think_keeps_answers_private_whatever_answer_first_says(session, facilitator, owner, room):
    services.session_update_settings(session=session, by=facilitator, answer_first=False)
    phase(session, facilitator, "think")
    ava = as_student(room["Ava"])
    assert answers_seen(ava, session) == set()
    assert "Think on your own first" in page(ava, session)
    board = owner.get(reverse("seminar:board", args=[session.code])).content.decode()
    assert "thinks so." not in board and "Answers stay private while everyone thinks" in board
    # Nor can anyone vote on what they cannot see.
    ben_answer = Answer.objects.get(participant=room["Ben"])
    with pytest.raises(SessionError, match="Think phase"):
        services.vote_set(participant=room["Ava"], answer_id=ben_answer.pk, voted=True)
    # The console sees them all.
    console = owner.get(reverse("seminar:console", args=[session.code])).content.decode()
    assert "Ben thinks so." in console and "Round: Think" in console


def test_think_sends_no_answer_to_students_on_the_stream(session, facilitator, room, broadcasts):
    phase(session, facilitator, "think")
    broadcasts.clear()
    services.answer_post(participant=room["Eli"], number=1, text="Eli's secret.", client_token=None)
    for message in broadcasts.changes:
        for audience, html in message["parts"]:
            if audience not in ("facilitator", "moderator", audiences.participant(room["Eli"].pk)):
                assert "Eli's secret." not in html, audience


def test_pair_seats_the_students_present_and_each_sees_their_table(session, facilitator, room):
    phase(session, facilitator, "pair")
    state = state_of(session)
    tables = selectors.tables(state)
    assert sorted(pid for members in tables.values() for pid in members) == sorted(
        p.pk for p in room.values()
    )
    assert sorted(len(m) for m in tables.values()) == [2, 2, 2]
    table_of = {pid: t for t, members in tables.items() for pid in members}
    by_pk = {p.pk: name for name, p in room.items()}
    for name, person in room.items():
        mates = [by_pk[pid] for pid in tables[table_of[person.pk]]]
        expected = {f"{m} thinks so." for m in mates if m in ("Ava", "Ben", "Cy", "Dee")}
        assert answers_seen(as_student(person), session) == expected, name
    # Upvoting across tables is refused; at one's own table it works.
    ava = room["Ava"]
    for other in ("Ben", "Cy", "Dee"):
        answer = Answer.objects.get(participant=room[other])
        same = table_of[room[other].pk] == table_of[ava.pk]
        if same:
            assert services.vote_set(participant=ava, answer_id=answer.pk, voted=True)
        else:
            with pytest.raises(SessionError, match="at your table only"):
                services.vote_set(participant=ava, answer_id=answer.pk, voted=True)


def test_students_can_choose_their_table(session, facilitator, room):
    services.tables_open(session=session, by=facilitator, number=1, count=3)
    phase(session, facilitator, "pair")
    ava, ben = as_student(room["Ava"]), as_student(room["Ben"])
    assert "Choose your table" in page(ava, session)
    url = reverse("seminar:seat_choose", args=[session.code, 1])
    assert ava.post(url, {"table": "2"}, **HTMX).status_code == 204
    assert ben.post(url, {"table": "2"}, **HTMX).status_code == 204
    assert answers_seen(ava, session) == {"Ava thinks so.", "Ben thinks so."}
    assert "Table 2: Ava, Ben" in page(ava, session)
    for bad in ("0", "4", "-1", "x", ""):
        response = ava.post(url, {"table": bad}, **HTMX)
        assert response.status_code == 400 and "Choose a table from 1 to 3" in response.text
    assert Seat.objects.get(participant=room["Ava"]).table == 2


def test_share_shows_everyone_everything_and_lock_stops_posts(session, facilitator, room):
    phase(session, facilitator, "share")
    eli = as_student(room["Eli"])  # has not answered: answer-first would gate them
    assert len(answers_seen(eli, session)) == 4
    phase(session, facilitator, "lock")
    assert len(answers_seen(eli, session)) == 4
    response = eli.post(reverse("seminar:answer_post", args=[session.code, 1]), {"text": "Late"})
    assert response.status_code == 409 and "locked" in response.content.decode()
    ava_answer = Answer.objects.get(participant=room["Ava"])
    with pytest.raises(SessionError, match="locked"):
        services.answer_edit(participant=room["Ava"], answer_id=ava_answer.pk, text="Changed")
    with pytest.raises(SessionError, match="locked"):
        services.reply_post(
            participant=room["Ben"],
            answer_id=ava_answer.pk,
            move="build",
            text="Hm",
            client_token=None,
        )
    assert Answer.objects.filter(session=session).count() == 4


def test_a_question_without_a_round_is_as_before(session, facilitator, room):
    phase(session, facilitator, "think")
    phase(session, facilitator, "")
    eli = as_student(room["Eli"])
    assert answers_seen(eli, session) == set()  # answer-first gates them, as always
    assert "Post your answer to see" in page(eli, session)
    assert len(answers_seen(as_student(room["Ava"]), session)) == 4


def test_the_countdown_is_the_servers_deadline(session, facilitator, room):
    before = timezone.now()
    state = phase(session, facilitator, "think", seconds=60, advances=True)
    assert (
        before + timedelta(seconds=59)
        <= state.phase_ends_at
        <= timezone.now() + timedelta(seconds=60)
    )
    ends = state.phase_ends_at
    state = services.round_timer(session=session, by=facilitator, number=1, action="add")
    assert state.phase_ends_at == ends + timedelta(seconds=30)
    state = services.round_timer(session=session, by=facilitator, number=1, action="pause")
    assert 88 <= state.phase_paused_seconds <= 90
    # Paused, it does not run out.
    QuestionState.objects.filter(pk=state.pk).update(phase_ends_at=timezone.now())
    assert services.rounds_advance_due(session_ids={session.pk}) == 0
    state = services.round_timer(session=session, by=facilitator, number=1, action="resume")
    assert state.phase_paused_seconds is None and state.phase_ends_at > timezone.now()
    # Run out: it moves on by itself, once however many screens ask.
    QuestionState.objects.filter(pk=state.pk).update(phase_ends_at=timezone.now())
    assert services.rounds_advance_due(session_ids={session.pk}) == 1
    assert services.rounds_advance_due(session_ids={session.pk}) == 0
    state = state_of(session)
    assert state.phase == "pair" and state.phase_ends_at is None
    # End now: the next phase at once.
    services.round_timer(session=session, by=facilitator, number=1, action="end")
    assert state_of(session).phase == "share"


def test_the_round_shows_its_phase_and_deadline_on_every_screen(session, facilitator, owner, room):
    state = phase(session, facilitator, "think", seconds=90)
    html = screens.round_bar(screens.State(session), state)
    ends_ms = int(state.phase_ends_at.timestamp() * 1000)
    assert f'data-ends-at="{ends_ms}"' in html and 'aria-current="step"' in html
    for client, url in [
        (as_student(room["Ava"]), reverse("seminar:room", args=[session.code])),
        (owner, reverse("seminar:board", args=[session.code])),
        (owner, reverse("seminar:console", args=[session.code])),
    ]:
        body = client.get(url).content.decode()
        assert f'data-ends-at="{ends_ms}"' in body, url
        assert "Think on your own" in body


@pytest.mark.parametrize(
    ("url_name", "data", "status", "message"),
    [
        ("round_phase", {"phase": "ponder"}, 400, "Choose a phase"),
        ("round_phase", {"phase": "think", "seconds": "-5"}, 400, "A countdown runs from"),
        ("round_phase", {"phase": "think", "seconds": "99999"}, 400, "A countdown runs from"),
        ("round_phase", {"phase": "think", "seconds": "soon"}, 400, "whole number of seconds"),
        ("round_timer", {"action": "add"}, 409, "not running as a round"),
        ("round_timer", {"action": "explode"}, 400, "Choose +30 s"),
        ("seats_assign", {"size": "1"}, 400, "A table seats 2 to 8"),
        ("seats_assign", {"size": "100"}, 400, "A table seats 2 to 8"),
        ("tables_open", {"count": "0"}, 400, "Choose 1 to 60 tables"),
        ("tables_open", {"count": "61"}, 400, "Choose 1 to 60 tables"),
    ],
)
def test_bad_round_input_is_refused_with_a_message_and_nothing_written(
    session, owner, room, url_name, data, status, message
):
    before = list(QuestionState.objects.values_list("phase", "phase_ends_at", "table_size"))
    url = reverse(f"seminar:{url_name}", args=[session.code, 1])
    response = owner.post(url, data, **HTMX)
    assert response.status_code == status
    assert message in response.content.decode()
    assert list(QuestionState.objects.values_list("phase", "phase_ends_at", "table_size")) == before
    assert not Seat.objects.exists()


def test_a_phase_change_on_a_closed_question_is_refused(session, facilitator, owner, room):
    services.question_set_open(session=session, by=facilitator, number=1, is_open=False)
    url = reverse("seminar:round_phase", args=[session.code, 1])
    response = owner.post(url, {"phase": "share"}, **HTMX)
    assert response.status_code == 400 and "open it first" in response.content.decode()
    assert state_of(session).phase == ""
    url = reverse("seminar:round_phase", args=[session.code, 2])  # never opened
    assert owner.post(url, {"phase": "think"}, **HTMX).status_code == 400


def test_closing_a_question_ends_its_round(session, facilitator, room):
    phase(session, facilitator, "think", seconds=60, advances=True)
    services.question_set_open(session=session, by=facilitator, number=1, is_open=False)
    state = state_of(session)
    assert state.phase == "" and state.phase_ends_at is None and not state.phase_advances
    assert len(answers_seen(as_student(room["Eli"]), session)) == 4  # closed: everyone's


def test_ending_the_session_ends_every_round(session, facilitator, room):
    phase(session, facilitator, "pair", seconds=60)
    services.session_end(session=session, by=facilitator)
    assert not QuestionState.objects.filter(session=session).exclude(phase="").exists()


@pytest.mark.django_db(transaction=True)
async def test_a_screen_at_zero_asks_and_the_server_moves_the_round_on(session, facilitator):
    """The board's countdown reached zero: its socket says "due", the server checks its own
    clock and moves the round on, and the board hears of it at once."""
    from channels.db import database_sync_to_async

    from tests.live_clients import communicator, receive_until

    await database_sync_to_async(services.question_set_open)(
        session=session, by=facilitator, number=1, is_open=True
    )
    await database_sync_to_async(services.step_go)(session=session, by=facilitator, to=7)
    await database_sync_to_async(phase)(session, facilitator, "think", seconds=30, advances=True)
    board = communicator(f"/ws/s/{session.code}/board/")
    assert (await board.connect())[0]
    await receive_until(board, "snapshot")
    # Too early: the server's deadline has not come, nothing moves.
    await board.send_to(text_data='{"type": "due"}')
    assert await board.receive_nothing(timeout=0.5)
    await database_sync_to_async(
        QuestionState.objects.filter(session=session, question__number=1).update
    )(phase_ends_at=timezone.now())
    await board.send_to(text_data='{"type": "due"}')
    frame = await receive_until(board, 'class="is-current">Pair')
    assert 'id="q-1-round"' in frame
    await board.disconnect()


def _replied(session, room):
    """Share: Eli replies to Ava's answer, so his own box quotes it."""
    ava_answer = Answer.objects.get(participant=room["Ava"], reply_to__isnull=True)
    services.reply_post(
        participant=room["Eli"],
        answer_id=ava_answer.pk,
        move="build",
        text="Yes, and more.",
        client_token=None,
    )
    return ava_answer


def _everything_eli_gets(session, room, broadcasts) -> str:
    """Eli's live frames since the last clear, his room page and his /state/ snapshot."""
    eli = as_student(room["Eli"])
    facts = screens.State(session).facts
    his = audiences.of_student(
        room["Eli"].pk, facts, frozenset(selectors.answered_question_ids(room["Eli"]))
    )
    live = "".join(
        html
        for message in broadcasts.changes
        for audience, html in message["parts"]
        if his & set([audience] if isinstance(audience, str) else audience)
    )
    state = eli.get(reverse("seminar:room_state", args=[session.code])).content.decode()
    return live + page(eli, session) + state


def test_think_keeps_the_answer_a_reply_quotes_private(session, facilitator, room, broadcasts):
    """Issue 25: "Your replies" quoted the answer whatever the phase, so an edit made during
    Think reached the replier. The quote follows the one rule: may he read it now?"""
    phase(session, facilitator, "share")
    ava_answer = _replied(session, room)
    assert ">Ava thinks so.</q>" in page(as_student(room["Eli"]), session)
    phase(session, facilitator, "think")
    broadcasts.clear()
    services.answer_edit(participant=room["Ava"], answer_id=ava_answer.pk, text="Secret from Ava.")
    seen = _everything_eli_gets(session, room, broadcasts)
    assert "Secret from Ava" not in seen
    assert "Ava thinks so." not in page(as_student(room["Eli"]), session)
    assert "to an answer you cannot see right now" in page(as_student(room["Eli"]), session)
    # Share again: the quote is back, as the lists are.
    broadcasts.clear()
    phase(session, facilitator, "share")
    assert ">Secret from Ava.</q>" in broadcasts.html_to(audiences.participant(room["Eli"].pk))


def test_pair_shows_a_quote_only_from_the_repliers_table(session, facilitator, room, broadcasts):
    phase(session, facilitator, "share")
    ava_answer = _replied(session, room)
    services.tables_open(session=session, by=facilitator, number=1, count=3)
    phase(session, facilitator, "pair")
    for name, table in [("Ava", 1), ("Ben", 2), ("Eli", 2)]:
        services.seat_choose(participant=room[name], number=1, table=table)
    # Eli sits apart from Ava: her edit does not reach him, not even as his reply's quote.
    broadcasts.clear()
    services.answer_edit(participant=room["Ava"], answer_id=ava_answer.pk, text="Secret from Ava.")
    seen = _everything_eli_gets(session, room, broadcasts)
    assert "Secret from Ava" not in seen and ">Ava thinks so.</q>" not in seen
    assert "to an answer you cannot see right now" in page(as_student(room["Eli"]), session)
    # Sitting down at Ava's table, he reads her answer, and the quote comes back.
    broadcasts.clear()
    services.seat_choose(participant=room["Eli"], number=1, table=1)
    assert ">Secret from Ava.</q>" in broadcasts.html_to(audiences.participant(room["Eli"].pk))


def test_pair_shows_only_the_tables_own_replies(session, facilitator, room):
    """A thread under a tablemate's answer keeps only the table's replies: a reply written
    before the round by someone now at another table is not the table's to read."""
    phase(session, facilitator, "share")
    _replied(session, room)  # Eli's reply
    services.tables_open(session=session, by=facilitator, number=1, count=3)
    phase(session, facilitator, "pair")
    for name, table in [("Ava", 1), ("Ben", 1), ("Eli", 2)]:
        services.seat_choose(participant=room[name], number=1, table=table)
    ben_page = page(as_student(room["Ben"]), session)
    assert "Ava thinks so." in ben_page and "Yes, and more." not in ben_page
    services.seat_choose(participant=room["Eli"], number=1, table=1)
    assert "Yes, and more." in page(as_student(room["Ben"]), session)
