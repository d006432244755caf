"""Discussing answers (issue 16): one answer spotlit on the board, answers marked discussed,
and what the summary keeps of it (which, in what order, for how long)."""

import pytest
from django.urls import reverse

from seminar import services
from seminar.models import Answer, Session, SpotlightLog
from seminar.summary import session_summary

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def answers(session, facilitator, open_question):
    posted = []
    for name, text in [
        ("Ava", "Read the diff."),
        ("Ben", "Pair on prompts."),
        ("Cy", "Slow down."),
    ]:
        person = services.participant_join(session=session, name=name)
        posted.append(
            services.answer_post(participant=person, number=1, text=text, client_token=None)[0]
        )
    services.step_go(session=session, by=facilitator, to=7)  # question 1 on the board
    return posted


def spotlight(owner, session, answer):
    url = reverse("seminar:answer_spotlight", args=[session.code, answer.pk])
    return owner.post(url, **HTMX)


def page(client, name, session) -> str:
    return client.get(reverse(name, args=[session.code])).content.decode()


def test_a_spotlit_answer_is_on_the_board_and_every_screen_says_so(
    session, owner, answers, student_client
):
    ana = answers[0]
    assert spotlight(owner, session, ana).status_code == 204
    session.refresh_from_db()
    assert session.spotlight_id == ana.pk
    board = page(owner, "seminar:board", session)
    assert 'data-kind="spotlight"' in board and "Read the diff." in board
    assert "Pair on prompts." not in board  # the other answers wait
    console = page(owner, "seminar:console", session)
    assert "On the board for discussion:" in console and "End spotlight" in console
    room = student_client.get(reverse("seminar:room", args=[session.code])).content.decode()
    assert "Being discussed now:" in room and f'href="#answer-{ana.pk}"' in room
    ana.refresh_from_db()
    assert ana.discussed_at is not None  # a spotlit answer is discussed

    # The next one takes its place; ending the spotlight brings the answers back.
    spotlight(owner, session, answers[1])
    assert list(
        SpotlightLog.objects.filter(ended_at__isnull=True).values_list("answer", flat=True)
    ) == [answers[1].pk]
    response = owner.post(reverse("seminar:spotlight_end", args=[session.code]), **HTMX)
    assert response.status_code == 204
    board = page(owner, "seminar:board", session)
    assert 'data-kind="question"' in board and "Pair on prompts." in board
    assert not SpotlightLog.objects.filter(ended_at__isnull=True).exists()


@pytest.mark.parametrize(
    "how",
    ["hide it", "its author deletes it", "the step moves on", "the session ends"],
)
def test_the_spotlight_ends_when_its_answer_goes_or_the_class_moves_on(
    session, facilitator, owner, answers, how
):
    ana = answers[0]
    spotlight(owner, session, ana)
    if how == "hide it":
        services.answer_set_hidden(session=session, by=facilitator, answer_id=ana.pk, hidden=True)
    elif how == "its author deletes it":
        services.answer_delete(participant=ana.participant, answer_id=ana.pk)
    elif how == "the step moves on":
        services.step_go(session=session, by=facilitator, to="next")
    else:
        services.session_end(session=session, by=facilitator)
    session.refresh_from_db()
    assert session.spotlight_id is None
    assert not SpotlightLog.objects.filter(ended_at__isnull=True).exists()
    assert 'data-kind="spotlight"' not in page(owner, "seminar:board", session)


def test_mark_discussed_and_take_it_back(session, owner, answers):
    url = reverse("seminar:answer_discussed", args=[session.code, answers[2].pk])
    assert owner.post(url, {"value": "1"}, **HTMX).status_code == 204
    assert Answer.objects.get(pk=answers[2].pk).discussed_at is not None
    assert 'data-discussed="1"' in page(owner, "seminar:console", session)
    assert owner.post(url, {"value": "0"}, **HTMX).status_code == 204
    assert Answer.objects.get(pk=answers[2].pk).discussed_at is None


def test_bad_discussion_moves_are_refused_with_a_message_and_change_nothing(
    session, facilitator, owner, answers, guide
):
    ana, ben = answers[0], answers[1]
    services.answer_set_hidden(session=session, by=facilitator, answer_id=ben.pk, hidden=True)
    response = spotlight(owner, session, ben)
    assert response.status_code == 409
    assert "A hidden answer cannot go on the board" in response.content.decode()
    other = services.session_start(facilitator=facilitator, guide=guide)
    response = spotlight(owner, other, ana)  # an answer of another session
    assert response.status_code == 404 and "does not exist" in response.content.decode()
    response = owner.post(reverse("seminar:answer_spotlight", args=[session.code, 10**9]), **HTMX)
    assert response.status_code == 404
    spotlight(owner, session, ana)
    response = owner.post(
        reverse("seminar:answer_discussed", args=[session.code, ana.pk]), {"value": "0"}, **HTMX
    )
    assert response.status_code == 409 and "end the spotlight first" in response.content.decode()
    services.session_end(session=session, by=facilitator)
    response = spotlight(owner, session, answers[2])
    assert response.status_code == 400 and "ended" in response.content.decode()
    assert Session.objects.get(pk=session.pk).spotlight_id is None
    assert not Answer.objects.filter(pk__in=[ben.pk, answers[2].pk], discussed_at__isnull=False)


def test_the_summary_keeps_which_answers_were_discussed_in_order_and_for_how_long(
    session, facilitator, owner, answers
):
    spotlight(owner, session, answers[1])
    spotlight(owner, session, answers[0])
    services.answer_set_discussed(
        session=session, by=facilitator, answer_id=answers[2].pk, discussed=True
    )
    services.session_end(session=session, by=facilitator)
    data = session_summary(session)
    by_text = {a["text"]: a for a in data["questions"][0]["answers"]}
    assert [by_text[a.text]["discussed"] for a in answers] == [2, 1, 3]
    assert by_text["Slow down."]["discussed_seconds"] == 0
    assert data["session"]["discussed_count"] == 3
    summary = page(owner, "seminar:summary", session)
    assert "Discussed 1st" in summary and "Discussed 3rd" in summary
