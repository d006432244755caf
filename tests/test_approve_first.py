"""Approve-first moderation (issue 16): with it on, a new answer waits in a queue only the
facilitators and its author see; the board says how many wait; Approve or Hide, one at a
time or all at once. Off by default."""

import pytest
from django.urls import reverse

from seminar import selectors, services
from seminar.models import Answer
from seminar.summary import session_summary
from tests.helpers import as_student

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def held(session, facilitator, open_question):
    """Approve-first on, question 1 on the board, answers from Ava (waiting) and Ben."""
    services.session_update_settings(session=session, by=facilitator, approve_first=True)
    services.step_go(session=session, by=facilitator, to=7)
    posted = {}
    for name, text in [("Ava", "Read the diff."), ("Ben", "Pair on prompts.")]:
        person = services.participant_join(session=session, name=name)
        posted[name] = services.answer_post(
            participant=person, number=1, text=text, client_token=None
        )[0]
    return posted


def screens(owner, session, student):
    board = owner.get(reverse("seminar:board", args=[session.code])).content.decode()
    console = owner.get(reverse("seminar:console", args=[session.code])).content.decode()
    room = student.get(reverse("seminar:room", args=[session.code])).content.decode()
    return board, console, room


def review(owner, session, answer, value):
    url = reverse("seminar:answer_review", args=[session.code, answer.pk])
    return owner.post(url, {"value": value}, **HTMX)


def test_answers_are_shown_at_once_by_default(session, participant, open_question):
    answer, _ = services.answer_post(
        participant=participant, number=1, text="Hi", client_token=None
    )
    assert not answer.pending


def test_a_held_answer_waits_for_review_seen_by_its_author_and_the_console_only(
    session, owner, held
):
    ava, ben = held["Ava"], held["Ben"]
    assert ava.pending and ben.pending
    board, console, room = screens(owner, session, as_student(ava.participant))
    assert "Read the diff." not in board and "2 waiting for review" in board
    assert "Read the diff." in console and "Waiting for review" in console
    assert "Approve all 2" in console and "Hide all 2" in console
    # Its author sees it waiting; it counts as answered (answer-first lets her read on) but
    # classmates' waiting answers are not shown to her.
    assert "Waiting for review" in room and "Read the diff." in room
    assert "Pair on prompts." not in room
    state = selectors.question_states(session, question__number=1)[0]
    assert (state.answer_count, state.pending_count, state.answered_count) == (0, 2, 2)


def test_approve_shows_it_everywhere_and_hide_keeps_it_out(session, owner, held):
    ava, ben = held["Ava"], held["Ben"]
    assert review(owner, session, ava, "1").status_code == 204
    assert review(owner, session, ben, "0").status_code == 204
    board, console, room = screens(owner, session, as_student(ben.participant))
    assert "Read the diff." in board and "Pair on prompts." not in board
    assert "waiting for review" not in board
    ben.refresh_from_db()
    assert ben.hidden and not ben.pending
    assert "Read the diff." in room  # Ben answered, so he reads Ava's approved answer


@pytest.mark.parametrize("value,shown", [("1", True), ("0", False)])
def test_approve_or_hide_all_at_once(session, owner, held, value, shown):
    url = reverse("seminar:answers_review_all", args=[session.code, 1])
    assert owner.post(url, {"value": value}, **HTMX).status_code == 204
    assert not Answer.objects.filter(pending=True).exists()
    assert set(Answer.objects.values_list("hidden", flat=True)) == {not shown}
    response = owner.post(url, {"value": value}, **HTMX)  # nothing left waiting
    assert response.status_code == 409 and "No answer to question 1" in response.content.decode()


def test_bad_review_moves_are_refused_and_change_nothing(session, owner, held):
    ava = held["Ava"]
    review(owner, session, ava, "1")
    response = review(owner, session, ava, "1")  # approving twice
    assert response.status_code == 409
    assert "not waiting for review" in response.content.decode()
    ben = held["Ben"]
    response = owner.post(reverse("seminar:answer_spotlight", args=[session.code, ben.pk]), **HTMX)
    assert response.status_code == 409 and "approve it first" in response.content.decode()
    vote = as_student(ava.participant).post(
        reverse("seminar:answer_vote", args=[session.code, ben.pk]), {"value": "1"}, **HTMX
    )
    assert vote.status_code == 404  # nobody can see it to vote for it
    ben.refresh_from_db()
    assert ben.pending and not ben.hidden and not ben.votes.exists()


def test_an_approved_answer_edited_waits_again(session, owner, held):
    ava = held["Ava"]
    review(owner, session, ava, "1")
    services.answer_edit(participant=ava.participant, answer_id=ava.pk, text="Changed my mind.")
    ava.refresh_from_db()
    assert ava.pending
    board, _, _ = screens(owner, session, as_student(ava.participant))
    assert "Changed my mind." not in board and "2 waiting for review" in board


def test_exports_mark_answers_waiting(session, facilitator, owner, held):
    review(owner, session, held["Ava"], "1")
    services.session_end(session=session, by=facilitator)
    data = session_summary(session)
    by_text = {a["text"]: a for a in data["questions"][0]["answers"]}
    assert by_text["Pair on prompts."]["waiting"] and not by_text["Read the diff."]["waiting"]
    assert data["questions"][0]["waiting"] == 1
    md = owner.get(reverse("seminar:export", args=[session.code, "md"])).content.decode()
    assert "Pair on prompts." in md and "(waiting for review)" in md
    summary = owner.get(reverse("seminar:summary", args=[session.code])).content.decode()
    assert "Pair on prompts." not in summary  # the summary page shows what the class saw


def test_the_queue_heads_the_consoles_list(session, facilitator, owner, held):
    review(owner, session, held["Ben"], "1")
    services.answer_set_pinned(
        session=session, by=facilitator, answer_id=held["Ben"].pk, pinned=True
    )
    console = owner.get(reverse("seminar:console", args=[session.code])).content.decode()
    assert console.index("Read the diff.") < console.index("Pair on prompts.")  # waiting first
