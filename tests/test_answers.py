"""Students post, edit, delete and upvote answers; the facilitator moderates."""

import uuid

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from seminar import services
from seminar.errors import SessionError
from seminar.models import Answer, Vote


def post(client, session, number, text, token=None, htmx=True):
    data = {"text": text, "client_token": str(token or uuid.uuid4())}
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(f"/s/{session.code}/q/{number}/answer/", data, **headers)


def test_open_question_has_an_answer_box(student_client, session, open_question):
    html = student_client.get(f"/s/{session.code}/").content.decode()
    assert 'for="answer-text-1">Your answer</label>' in html
    assert "Post answer" in html


def test_posting_saves_and_shows_my_answer(student_client, session, open_question, participant):
    response = post(student_client, session, 1, "  Pair on the prompts.\r\nThen review.  ")
    assert response.status_code == 200
    answer = Answer.objects.get()
    assert answer.participant == participant and answer.text == "Pair on the prompts.\nThen review."
    html = response.content.decode()
    assert 'id="q-1-mine"' in html and "Pair on the prompts." in html


def test_plain_form_post_redirects_back_to_the_question(student_client, session, open_question):
    response = post(student_client, session, 1, "An answer", htmx=False)
    assert response.status_code == 302
    assert response["Location"] == f"/s/{session.code}/#q-1"


@pytest.mark.parametrize(
    "text, status, message",
    [
        ("", 400, "Your answer is empty."),
        ("   \n\t ", 400, "Your answer is empty."),
        ("x" * 2001, 400, "the limit is 2,000"),
    ],
)
def test_bad_answers_get_an_inline_error_and_the_text_stays(
    student_client, session, open_question, text, status, message
):
    for htmx in (True, False):
        response = post(student_client, session, 1, text, htmx=htmx)
        assert response.status_code == status
        html = response.content.decode()
        assert message in html
        if text.strip():
            assert text in html  # the student's text is still in the box
    assert not Answer.objects.exists()


def test_closed_question_refuses_and_keeps_the_text(student_client, session, facilitator):
    services.question_set_open(session=session, by=facilitator, number=2, is_open=True)
    services.question_set_open(session=session, by=facilitator, number=2, is_open=False)
    response = post(student_client, session, 2, "Late but thoughtful")
    assert response.status_code == 400
    html = response.content.decode()
    assert "This question is closed." in html and "Late but thoughtful" in html
    assert not Answer.objects.exists()


def test_never_opened_question_refuses(student_client, session):
    response = post(student_client, session, 3, "Too early")
    assert response.status_code == 400
    assert "This question is closed." in response.content.decode()


def test_ended_session_refuses_and_keeps_the_text(
    student_client, session, open_question, facilitator
):
    services.session_end(session=session, by=facilitator)
    response = post(student_client, session, 1, "After the bell")
    assert response.status_code == 400
    html = response.content.decode()
    assert "This session has ended." in html and "After the bell" in html


def test_question_of_another_session_is_refused(student_client, session, open_question):
    response = post(student_client, session, 9, "Wrong room")
    assert response.status_code == 404
    assert not Answer.objects.exists()


def test_posting_into_another_session_is_refused(
    student_client, facilitator, guide, session, open_question
):
    other = services.session_start(facilitator=facilitator, guide=guide)
    services.question_set_open(session=other, by=facilitator, number=1, is_open=True)
    response = post(student_client, other, 1, "Sneaky")
    assert response.status_code == 403
    assert not Answer.objects.exists()


def test_same_client_token_twice_is_one_answer(student_client, session, open_question):
    token = uuid.uuid4()
    first = post(student_client, session, 1, "Once", token)
    again = post(student_client, session, 1, "Once", token)
    assert first.status_code == again.status_code == 200
    assert Answer.objects.count() == 1


def test_second_answer_with_another_token_is_refused_and_kept(
    student_client, session, open_question, answer
):
    response = post(student_client, session, 1, "Second thoughts")
    assert response.status_code == 409
    assert "Second thoughts" in response.content.decode()
    assert Answer.objects.get().text == "Pair on the prompts."


def test_author_edits_and_deletes_while_open(student_client, session, answer):
    url = f"/s/{session.code}/answers/{answer.pk}/"
    response = student_client.post(url + "edit/", {"text": "Better words"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    answer.refresh_from_db()
    assert answer.text == "Better words" and answer.edited_at is not None
    response = student_client.post(url + "delete/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert not Answer.objects.exists()
    assert "Post answer" in response.content.decode()


def test_empty_edit_is_refused_and_the_answer_kept(student_client, session, answer):
    response = student_client.post(
        f"/s/{session.code}/answers/{answer.pk}/edit/", {"text": "  "}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert "Your answer is empty." in response.content.decode()
    answer.refresh_from_db()
    assert answer.text == "Pair on the prompts."


def test_nobody_edits_or_deletes_anothers_answer(client, session, answer):
    services.participant_join(session=session, name="Ben")
    from seminar import identity

    ben = session.participants.get(name="Ben")
    s = client.session
    identity.remember(s, ben)
    s.save()
    url = f"/s/{session.code}/answers/{answer.pk}/"
    assert client.post(url + "edit/", {"text": "Mine now"}).status_code == 403
    assert client.post(url + "delete/").status_code == 403
    answer.refresh_from_db()
    assert answer.text == "Pair on the prompts."


def test_answer_first_hides_classmates_answers_until_i_post(client, session, answer, facilitator):
    ben = services.participant_join(session=session, name="Ben")
    from seminar import identity

    s = client.session
    identity.remember(s, ben)
    s.save()
    html = client.get(f"/s/{session.code}/").content.decode()
    assert "Post your answer to see your classmates" in html
    assert "Pair on the prompts." not in html
    response = post(client, session, 1, "Ben's view")
    # The response is Ben's own box only; the list comes through the ordered stream.
    assert "Ben&#x27;s view" in response.content.decode()
    assert "Pair on the prompts." not in response.content.decode()
    assert "Pair on the prompts." in client.get(f"/s/{session.code}/").content.decode()


def test_closing_the_question_reveals_answers(client, session, answer, facilitator):
    ben = services.participant_join(session=session, name="Ben")
    from seminar import identity

    s = client.session
    identity.remember(s, ben)
    s.save()
    services.question_set_open(session=session, by=facilitator, number=1, is_open=False)
    assert "Pair on the prompts." in client.get(f"/s/{session.code}/").content.decode()


def test_without_answer_first_everyone_sees_answers(client, facilitator, guide):
    session = services.session_start(facilitator=facilitator, guide=guide, answer_first=False)
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    ana = services.participant_join(session=session, name="Ana")
    services.answer_post(participant=ana, number=1, text="Visible at once", client_token=None)
    ben = services.participant_join(session=session, name="Ben")
    from seminar import identity

    s = client.session
    identity.remember(s, ben)
    s.save()
    assert "Visible at once" in client.get(f"/s/{session.code}/").content.decode()


def test_upvote_toggles_and_counts(session, answer):
    ben = services.participant_join(session=session, name="Ben")
    services.answer_post(participant=ben, number=1, text="Mine", client_token=None)
    assert services.vote_toggle(participant=ben, answer_id=answer.pk) is True
    assert Vote.objects.filter(answer=answer).count() == 1
    assert services.vote_toggle(participant=ben, answer_id=answer.pk) is False
    assert not Vote.objects.exists()


def test_cannot_upvote_own_answer(session, answer, participant):
    with pytest.raises(SessionError) as error:
        services.vote_toggle(participant=participant, answer_id=answer.pk)
    assert error.value.code == "own_answer"
    assert not Vote.objects.exists()


def test_cannot_upvote_what_answer_first_hides(session, answer):
    ben = services.participant_join(session=session, name="Ben")
    with pytest.raises(SessionError):
        services.vote_toggle(participant=ben, answer_id=answer.pk)
    assert not Vote.objects.exists()


def test_upvote_view_returns_the_pressed_button(client, session, answer):
    ben = services.participant_join(session=session, name="Ben")
    services.answer_post(participant=ben, number=1, text="Mine", client_token=None)
    from seminar import identity

    s = client.session
    identity.remember(s, ben)
    s.save()
    response = client.post(
        f"/s/{session.code}/answers/{answer.pk}/vote/", {"value": "1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 204  # the pressed button and the count come by the stream
    html = client.get(f"/s/{session.code}/").content.decode()
    item = html[html.index(f'id="answer-{answer.pk}"') :]
    item = item[: item.index("</li>")]
    assert 'aria-pressed="true"' in item and "<strong>1</strong> vote" in item
    assert 'name="value" value="0"' in item  # pressing again takes the vote back
    # Pressing "vote" again (a stale button, a double click) keeps one vote, never toggles.
    client.post(f"/s/{session.code}/answers/{answer.pk}/vote/", {"value": "1"})
    assert Vote.objects.filter(answer=answer).count() == 1
    client.post(f"/s/{session.code}/answers/{answer.pk}/vote/", {"value": "0"})
    assert not Vote.objects.filter(answer=answer).exists()


def test_facilitator_hides_pins_and_only_they_can(
    facilitator_client, session, answer, client, other_facilitator
):
    base = f"/facilitate/{session.code}/answers/{answer.pk}/"
    assert facilitator_client.post(base + "hide/", {"value": "1"}).status_code == 302
    answer.refresh_from_db()
    assert answer.hidden
    board = facilitator_client.get(f"/s/{session.code}/board/").content.decode()
    assert "Pair on the prompts." not in board
    facilitator_client.post(base + "hide/", {"value": "0"})
    facilitator_client.post(base + "pin/", {"value": "1"})
    answer.refresh_from_db()
    assert not answer.hidden and answer.pinned

    client.force_login(other_facilitator)
    assert client.post(base + "hide/", {"value": "1"}).status_code == 404
    answer.refresh_from_db()
    assert not answer.hidden


def test_students_cannot_moderate(student_client, session, answer):
    base = f"/facilitate/{session.code}/answers/{answer.pk}/"
    for path in ("hide/", "pin/"):
        response = student_client.post(base + path, {"value": "1"})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for path in ("q/1/open/", "q/1/close/"):
        assert student_client.post(f"/facilitate/{session.code}/{path}").status_code == 302
    answer.refresh_from_db()
    assert not answer.hidden and not answer.pinned


def test_console_shows_names_hidden_answers_and_who_has_not_answered(
    facilitator_client, session, answer, facilitator
):
    ben = services.participant_join(session=session, name="Ben")
    services.connection_open(participant=ben, channel_name="ben-tab")  # here while it is open
    services.participant_join(session=session, name="Cy")  # joined, never here: not counted
    services.answer_set_hidden(session=session, by=facilitator, answer_id=answer.pk, hidden=True)
    html = facilitator_client.get(f"/facilitate/{session.code}/").content.decode()
    assert "Pair on the prompts." in html and "Hidden" in html and "Unhide" in html
    assert "Not answered yet (1 of 2):</strong> Ben" in html


def test_answers_are_escaped_everywhere(
    student_client, facilitator_client, session, open_question, facilitator
):
    evil = "<script>alert(1)</script>"
    post(student_client, session, 1, evil)
    services.step_go(session=session, by=facilitator, to=7)
    for html in (
        student_client.get(f"/s/{session.code}/").content.decode(),
        facilitator_client.get(f"/facilitate/{session.code}/").content.decode(),
        facilitator_client.get(f"/s/{session.code}/board/").content.decode(),
    ):
        assert evil not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_posts_are_rate_limited(student_client, session, open_question, settings):
    settings.SEMINAR_POST_RATE = 3
    statuses = [post(student_client, session, 1, "x").status_code for _ in range(3)]
    statuses.append(post(student_client, session, 1, "x").status_code)
    assert statuses[-1] == 429
    assert "posting very fast" in post(student_client, session, 1, "x").content.decode()


# -- what goes to whom ---------------------------------------------------------------------------


def test_a_post_reaches_board_facilitator_and_readers_never_hidden_ones(
    session, facilitator, participant, broadcasts
):
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    services.step_go(session=session, by=facilitator, to=7)  # the board shows question 1
    broadcasts.clear()
    answer, _ = services.answer_post(
        participant=participant, number=1, text="Hello", client_token=None
    )
    qid = answer.question_id
    assert f'id="answer-{answer.pk}"' in broadcasts.html_to("board")
    assert f'id="answer-{answer.pk}"' in broadcasts.html_to("facilitator")
    assert f'id="answer-{answer.pk}"' in broadcasts.html_to(f"readers-{qid}")
    # Students who have not answered get only counts, never the answer.
    assert not broadcasts.html_to(f"waiting-{qid}")
    assert "Hello" not in broadcasts.html_to("students")
    assert 'id="q-1-state"' in broadcasts.html_to("students")
    # The author's own tabs get their box, the list (answer-first lifted) and their marks.
    own = broadcasts.html_to(f"participant-{participant.pk}")
    assert 'id="q-1-mine"' in own and 'id="answers-1"' in own and 'id="me"' in own
    assert broadcasts.changes[-1]["answered"] == {str(participant.pk): [qid]}
    # Names hidden on the board, shown to the facilitator.
    assert "Ana" not in broadcasts.html_to("board")
    assert "Ana" in broadcasts.html_to("facilitator")

    broadcasts.clear()
    services.answer_set_hidden(session=session, by=facilitator, answer_id=answer.pk, hidden=True)
    for message in broadcasts.changes:
        for audience, html in message["parts"]:
            if audience not in ("facilitator", "moderator"):  # moderation sees it
                assert "Hello" not in html, audience
    assert f'<i id="answer-{answer.pk}" data-remove hidden>' in broadcasts.html_to("board")

    broadcasts.clear()
    services.answer_set_pinned(session=session, by=facilitator, answer_id=answer.pk, pinned=True)
    for message in broadcasts.changes:
        for audience, html in message["parts"]:
            if audience not in ("facilitator", "moderator"):  # moderation sees it
                assert "Hello" not in html, audience


def test_every_change_is_one_message_with_its_own_version(session, facilitator, broadcasts):
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    services.step_go(session=session, by=facilitator, to="next")
    session.refresh_from_db()
    assert broadcasts.versions == [session.version - 1, session.version]
    # Every screen hears of every change (one message to the session), so a gap in versions
    # always means a lost frame.
    assert {"students", "board", "facilitator"} <= broadcasts.audiences


def test_each_student_socket_gets_one_frame_per_answer(
    session, facilitator, participant, broadcasts
):
    """A reader gets the answer and the counts in one frame; a waiting student the counts."""
    from seminar import screens
    from seminar.delivery import SocketView

    ben = services.participant_join(session=session, name="Ben")
    cleo = services.participant_join(session=session, name="Cléo")
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    services.answer_post(participant=ben, number=1, text="Ben first", client_token=None)
    services.answer_post(participant=cleo, number=1, text="Cléo’s ‘take’", client_token=None)
    sockets = {}
    for p in (participant, ben, cleo):
        view = SocketView("participant", p.pk)
        view.reset(screens.snapshot(screens.State.load(session.pk), "participant", p))
        sockets[p.name] = view
    broadcasts.clear()
    answer, _ = services.answer_post(
        participant=participant, number=1, text="Hi", client_token=None
    )
    (message,) = broadcasts.changes
    ben_frame = sockets["Ben"].take(message)
    ana_frame = sockets["Ana"].take(message)
    assert ben_frame.count("<!--v:") == 1 and ana_frame.count("<!--v:") == 1
    assert f'id="answer-{answer.pk}"' in ben_frame and 'id="q-1-state"' in ben_frame
    assert 'id="q-1-mine"' in ana_frame and f'id="answer-{answer.pk}"' in ana_frame
    # Another reader's socket sends the very same frame as Ben's, encoded once for both.
    assert sockets["Cléo"].take(message) is ben_frame
    assert ben_frame.encode() is ben_frame.encode("utf-8") == str(ben_frame).encode()


class TestAnswerRoundTrip(HypothesisTestCase):
    """Whatever a student types (within the rules) comes back exactly, and renders escaped."""

    @hsettings(max_examples=60, deadline=None)
    @given(
        st.text(min_size=1, max_size=300).filter(
            lambda t: t.strip() and "\x00" not in t and "\r" not in t
        )
    )
    def test_text_round_trips(self, text):
        from django.contrib.auth import get_user_model

        from guide.models import Guide, Question

        user = get_user_model().objects.create_user(f"u{uuid.uuid4().hex[:8]}")
        guide = Guide.objects.create(slug=uuid.uuid4().hex[:10], title="G", content_hash="x")
        Question.objects.create(guide=guide, number=1, text="Q?")
        session = services.session_start(facilitator=user, guide=guide)
        services.question_set_open(session=session, by=user, number=1, is_open=True)
        student = services.participant_join(session=session, name="S")
        answer, _ = services.answer_post(
            participant=student, number=1, text=text, client_token=None
        )
        answer.refresh_from_db()
        assert answer.text == text.strip()
        from seminar import screens, selectors

        html = screens.answer_item(
            screens.State.load(session.pk), selectors.answer_with_votes(answer.pk), "board"
        )
        from lxml import html as lxml_html

        # Shown as exactly the text typed, and never as markup: no element of its own.
        (shown,) = lxml_html.fragment_fromstring(html).find_class("answer-text")
        assert shown.text_content() == answer.text
        assert len(shown) == 0


def test_the_board_gets_answers_only_for_the_question_it_shows(
    session, facilitator, participant, broadcasts
):
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    broadcasts.clear()  # the board is in the lobby
    answer, _ = services.answer_post(
        participant=participant, number=1, text="Hi", client_token=None
    )
    assert f"answer-{answer.pk}" not in broadcasts.html_to("board")
    assert f"answer-{answer.pk}" in broadcasts.html_to("facilitator")
