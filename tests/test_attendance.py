""" "n of m answered": m is the students who were here while the question was open.

A class where 49 once joined but 9 are in the room when question 1 opens, and 8 answer, reads
"8 of 9" on the board, the console and in the summary, not "8 of 49".
"""

from django.urls import reverse

from seminar import selectors, services
from seminar.summary import session_summary


def join(session, name, *, online=True):
    person = services.participant_join(session=session, name=name)
    if online:
        services.connection_open(participant=person, channel_name=f"tab-{name}")
    return person


def set_open(session, facilitator, number, is_open):
    services.question_set_open(session=session, by=facilitator, number=number, is_open=is_open)


def counts(session, number):
    state = selectors.question_states(session, question__number=number)[0]
    return state.answered_count, state.participant_count


def test_counts_those_in_the_room_when_it_opened_not_everyone_who_ever_joined(
    session, facilitator, facilitator_client
):
    for i in range(40):  # an earlier class with this code, long gone
        join(session, f"Gone {i}", online=False)
    here = [join(session, f"Student {i}") for i in range(9)]
    set_open(session, facilitator, 1, True)
    for person in here[:8]:
        services.answer_post(participant=person, number=1, text="An answer", client_token=None)
    services.step_go(session=session, by=facilitator, to=7)  # question 1 on the board

    assert counts(session, 1) == (8, 9)
    board = facilitator_client.get(reverse("seminar:board", args=[session.code])).content.decode()
    assert "8 of 9 students answered" in board
    console = facilitator_client.get(reverse("seminar:console", args=[session.code]))
    assert "Not answered yet (1 of 9):</strong> Student 8" in console.content.decode()

    services.session_end(session=session, by=facilitator)
    q1 = session_summary(session)["questions"][0]
    assert (q1["answered"], q1["present"], q1["answered_share"]) == (8, 9, 0.8889)
    summary = facilitator_client.get(reverse("seminar:summary", args=[session.code]))
    assert "Answered by 8 of 9 students present (89%)" in summary.content.decode()


def test_a_student_who_connects_while_it_is_open_counts_one_who_comes_after_it_closed_not(
    session, facilitator
):
    join(session, "Ana")
    set_open(session, facilitator, 1, True)
    assert counts(session, 1) == (0, 1)
    join(session, "Ben")  # arrives while it is open
    assert counts(session, 1) == (0, 2)
    set_open(session, facilitator, 1, False)
    join(session, "Cy")  # arrives after it closed
    assert counts(session, 1) == (0, 2)
    set_open(session, facilitator, 1, True)  # reopened: Cy is here now
    assert counts(session, 1) == (0, 3)


def test_a_student_who_left_still_counts_and_one_who_answers_without_a_socket_counts(
    session, facilitator
):
    ana = join(session, "Ana")
    set_open(session, facilitator, 1, True)
    services.connection_close(channel_name="tab-Ana")  # was here, then left
    ben = join(session, "Ben", online=False)  # no live page, posts by plain HTTP
    services.answer_post(
        participant=ben, number=1, text="From a page without JS", client_token=None
    )
    assert counts(session, 1) == (1, 2)
    assert selectors.not_answered(session, selectors.question_states(session)[0]).names == [
        ana.name
    ]


def test_a_question_never_opened_counts_nobody_and_says_so(
    session, facilitator, facilitator_client
):
    join(session, "Ana")
    assert counts(session, 2) == (0, 0)
    services.step_go(session=session, by=facilitator, to=8)  # question 2 on screen, not opened
    console = facilitator_client.get(reverse("seminar:console", args=[session.code]))
    assert "Not opened yet: everyone here when it opens is counted." in console.content.decode()
    services.session_end(session=session, by=facilitator)
    q2 = session_summary(session)["questions"][1]
    assert (q2["present"], q2["answered_share"]) == (0, None)
