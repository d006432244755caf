"""Replies with a move (issue 16): a student replies to a classmate's answer saying what the
reply does (Build on, Challenge, Question); replies thread under the answer in the room, the
console and the board's spotlight, with counts by move; they are upvoted, hidden, edited and
reviewed like answers, follow answer-first and approve-first, and never count as answering."""

import lxml.html
import pytest
from django.urls import reverse

from seminar import selectors, services
from seminar.errors import SessionError
from seminar.models import Answer, Vote
from tests.helpers import as_student

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def thread(session, facilitator, open_question):
    """Question 1 open and on the board; Ava, Ben and Cy answered it."""
    services.step_go(session=session, by=facilitator, to=7)
    people, answers = {}, {}
    for name, text in [
        ("Ava", "Read the diff."),
        ("Ben", "Pair on prompts."),
        ("Cy", "Tests first."),
    ]:
        people[name] = services.participant_join(session=session, name=name)
        answers[name] = services.answer_post(
            participant=people[name], number=1, text=text, client_token=None
        )[0]
    return people, answers


def reply(person, answer, move="build", text="Building on this, and the tests.", token=None):
    return services.reply_post(
        participant=person, answer_id=answer.pk, move=move, text=text, client_token=token
    )[0]


def post_reply(client, session, answer, **data):
    url = reverse("seminar:reply_post", args=[session.code, answer.pk])
    return client.post(url, data, **HTMX)


def item_text(page: str, answer) -> str:
    """What a reader sees of one answer's item, its thread included."""
    (item,) = lxml.html.document_fromstring(page).xpath(f'//li[@id="answer-{answer.pk}"]')
    return " ".join(item.text_content().split())


def room(client, session) -> str:
    return client.get(reverse("seminar:room", args=[session.code])).content.decode()


def test_a_reply_threads_under_the_answer_for_the_class_and_the_console(session, owner, thread):
    people, answers = thread
    ben = as_student(people["Ben"])
    response = post_reply(
        ben, session, answers["Ava"], move="challenge", text="I see it differently: diffs lie."
    )
    assert response.status_code == 200 and "Posted" in response.content.decode()
    reply(people["Cy"], answers["Ava"], "question", "Could you say more about which diff?")

    page = room(as_student(people["Cy"]), session)
    # In the room: threaded under Ava's answer, with its move and counts by move.
    ava_item = item_text(page, answers["Ava"])
    assert "I see it differently: diffs lie." in ava_item
    assert "Could you say more about which diff?" in ava_item
    assert "1 Challenge" in ava_item and "1 Question" in ava_item
    assert "diffs lie" not in item_text(page, answers["Ben"])
    # The replier's own box lists it, to edit.
    mine = room(ben, session)
    assert "Your replies" in mine and "Edit your reply" in mine
    console = owner.get(reverse("seminar:console", args=[session.code])).content.decode()
    assert "I see it differently: diffs lie." in console and "1 Challenge" in console


def test_replies_never_count_as_answers(session, thread):
    people, answers = thread
    reply(people["Ben"], answers["Ava"])
    reply(people["Cy"], answers["Ava"], "question", "Why?")
    state = selectors.question_states(session, question__number=1)[0]
    assert state.answer_count == 3 and state.answered_count == 3
    late = services.participant_join(session=session, name="Dee")
    assert 1 not in {
        q.number
        for q in session.guide.questions.filter(pk__in=selectors.answered_question_ids(late))
    }


def reply_form(client, session, answer, **headers):
    return client.get(reverse("seminar:reply_post", args=[session.code, answer.pk]), **headers)


def test_each_move_has_its_button_and_sentence_starter(session, thread):
    """The Reply fold fetches its form when it first opens: each move's button is in it."""
    people, answers = thread
    ben = as_student(people["Ben"])
    (fold,) = lxml.html.document_fromstring(room(ben, session)).xpath(
        f'//details[@id="reply-{answers["Ava"].pk}"]'
    )
    url = reverse("seminar:reply_post", args=[session.code, answers["Ava"].pk])
    assert fold.get("data-form") == url
    assert fold.xpath(f'.//a[@href="{url}"]')  # without JavaScript: the form's own page
    form = reply_form(ben, session, answers["Ava"], **HTMX)
    assert form.status_code == 200
    for label, starter in [
        ("Build on", "Building on this, "),
        ("Challenge", "I see it differently: "),
        ("Question", "Could you say more about "),
    ]:
        assert f'data-starter="{starter}" aria-pressed="false">{label}</button>' in form.text
    assert f'hx-post="{url}"' in form.text and 'name="csrfmiddlewaretoken"' in form.text


def test_an_answer_sent_to_the_class_carries_its_fold_not_its_form(session, thread):
    """What every socket gets for one answer stays small: the form comes on demand."""
    people, answers = thread
    (item,) = lxml.html.document_fromstring(room(as_student(people["Ben"]), session)).xpath(
        f'//li[@id="answer-{answers["Ava"].pk}"]'
    )
    assert not item.xpath(".//form[contains(@class, 'reply-form')]")
    assert not item.xpath(".//textarea")


def test_without_javascript_the_reply_page_quotes_the_answer_and_posts_it(session, thread):
    people, answers = thread
    ben = as_student(people["Ben"])
    page = reply_form(ben, session, answers["Ava"])
    assert page.status_code == 200
    # Names are off in this session, as on the board: the page names nobody.
    assert "Read the diff." in page.text and "Reply to an answer" in page.text
    assert "Ava" not in page.text
    response = ben.post(
        reverse("seminar:reply_post", args=[session.code, answers["Ava"].pk]),
        {"move": "question", "text": "Which diff?"},
    )
    assert response.status_code == 302
    assert answers["Ava"].replies.get().text == "Which diff?"


@pytest.mark.parametrize(
    "case, status, message",
    [
        ("own", 400, "cannot reply to your own answer"),
        ("hidden", 409, "not shown to the class"),
        ("unread", 403, "Answer this question first"),
        ("closed", 400, "This question is closed"),
    ],
)
def test_a_reply_form_is_refused_with_the_reason_and_no_answer_text(
    session, facilitator, thread, case, status, message
):
    people, answers = thread
    who, target = people["Ben"], answers["Ava"]
    if case == "own":
        target = answers["Ben"]
    elif case == "hidden":
        services.answer_set_hidden(
            session=session, by=facilitator, answer_id=target.pk, hidden=True
        )
    elif case == "unread":
        who = services.participant_join(session=session, name="Dee")
    elif case == "closed":
        services.question_set_open(session=session, by=facilitator, number=1, is_open=False)
    for headers in (HTMX, {}):
        response = reply_form(as_student(who), session, target, **headers)
        assert (response.status_code, message in response.text) == (status, True)
        assert target.text not in response.text


def test_without_javascript_a_move_button_sends_the_reply_with_its_move(session, thread):
    """The form's empty chosen-move field comes first; the pressed button's value last."""
    people, answers = thread
    url = reverse("seminar:reply_post", args=[session.code, answers["Ava"].pk])
    data = {"move": ["", "question"], "text": "Why the diff?"}
    response = as_student(people["Ben"]).post(url, data)
    assert response.status_code == 302
    assert answers["Ava"].replies.get().move == "question"


def test_answer_first_a_student_replies_after_answering(session, thread):
    people, answers = thread
    dee = services.participant_join(session=session, name="Dee")
    with pytest.raises(SessionError) as refused:
        reply(dee, answers["Ava"])
    assert refused.value.code == "forbidden"
    assert "Answer this question first" in refused.value.message
    response = post_reply(as_student(dee), session, answers["Ava"], move="build", text="Hm")
    assert response.status_code == 403 and "Answer this question first" in response.text
    assert not Answer.objects.filter(participant=dee).exists()


@pytest.mark.parametrize(
    ("case", "status", "message"),
    [
        ("hidden", 409, "not shown to the class"),
        ("deleted", 404, "does not exist"),
        ("other_session", 404, "does not exist"),
        ("reply", 409, "replies do not nest"),
        ("own", 400, "your own answer"),
        ("closed", 400, "closed"),
        ("no_move", 400, "Build on, Challenge or Question"),
        ("bad_move", 400, "Build on, Challenge or Question"),
        ("empty", 400, "Your reply is empty"),
        ("too_long", 400, "the limit is 2,000"),
    ],
)
def test_a_bad_reply_is_refused_with_a_message_and_nothing_written(
    session, facilitator, other_facilitator, guide, thread, case, status, message
):
    people, answers = thread
    target, data = answers["Ava"], {"move": "build", "text": "Building on this, yes."}
    if case == "hidden":
        services.answer_set_hidden(
            session=session, by=facilitator, answer_id=target.pk, hidden=True
        )
    elif case == "deleted":
        target = Answer(pk=10**6)
    elif case == "other_session":
        other = services.session_start(facilitator=other_facilitator, guide=guide)
        services.question_set_open(session=other, by=other_facilitator, number=1, is_open=True)
        elsewhere = services.participant_join(session=other, name="Zed")
        target = services.answer_post(
            participant=elsewhere, number=1, text="Elsewhere.", client_token=None
        )[0]
    elif case == "reply":
        target = reply(people["Cy"], answers["Ava"])
    elif case == "own":
        target = answers["Ben"]
    elif case == "closed":
        services.question_set_open(session=session, by=facilitator, number=1, is_open=False)
    elif case == "no_move":
        data["move"] = ""
    elif case == "bad_move":
        data["move"] = "agree"
    elif case == "empty":
        data["text"] = "   "
    elif case == "too_long":
        data["text"] = "x" * 2001
    before = Answer.objects.count()
    response = post_reply(as_student(people["Ben"]), session, target, **data)
    assert response.status_code == status
    assert message in response.text
    assert Answer.objects.count() == before


def test_without_javascript_a_refused_reply_comes_back_with_its_text(session, thread):
    people, answers = thread
    url = reverse("seminar:reply_post", args=[session.code, answers["Ava"].pk])
    response = as_student(people["Ben"]).post(url, {"move": "", "text": "Keep me."})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Your reply was not posted" in page and "Keep me." in page
    assert "Build on, Challenge or Question" in page


def test_the_same_token_twice_is_one_reply_and_a_new_token_a_second(session, thread):
    people, answers = thread
    first = reply(people["Ben"], answers["Ava"], token="6b2d0f9e-9f1c-4c4e-8a8e-1d1a5e0c0d11")
    again = reply(people["Ben"], answers["Ava"], token="6b2d0f9e-9f1c-4c4e-8a8e-1d1a5e0c0d11")
    second = reply(people["Ben"], answers["Ava"], "question", "And why?")
    assert again.pk == first.pk and second.pk != first.pk
    assert answers["Ava"].replies.count() == 2


def test_replies_are_upvoted_but_not_by_their_author(session, thread):
    people, answers = thread
    r = reply(people["Ben"], answers["Ava"])
    assert services.vote_set(participant=people["Cy"], answer_id=r.pk, voted=True)
    with pytest.raises(SessionError, match="your own reply"):
        services.vote_set(participant=people["Ben"], answer_id=r.pk, voted=True)
    assert Vote.objects.filter(answer=r).count() == 1
    assert "1 vote" in item_text(room(as_student(people["Cy"]), session), r)


def test_a_hidden_reply_leaves_the_room_and_stays_on_the_console(session, owner, thread):
    people, answers = thread
    r = reply(people["Ben"], answers["Ava"], text="Building on this, something rude.")
    url = reverse("seminar:answer_hide", args=[session.code, r.pk])
    assert owner.post(url, {"value": "1"}, **HTMX).status_code == 204
    assert "something rude" not in room(as_student(people["Cy"]), session)
    console = owner.get(reverse("seminar:console", args=[session.code])).content.decode()
    assert "something rude" in console and "Unhide" in console
    # Nor can anyone vote on it.
    with pytest.raises(SessionError):
        services.vote_set(participant=people["Cy"], answer_id=r.pk, voted=True)


def test_replies_to_a_hidden_answer_go_with_it(session, facilitator, thread):
    people, answers = thread
    r = reply(people["Ben"], answers["Ava"], text="Building on this, a reply.")
    services.answer_set_hidden(
        session=session, by=facilitator, answer_id=answers["Ava"].pk, hidden=True
    )
    assert "a reply." not in room(as_student(people["Cy"]), session)
    with pytest.raises(SessionError):
        services.vote_set(participant=people["Cy"], answer_id=r.pk, voted=True)
    # Its author still has it, said to be under an answer no longer shown.
    assert "to an answer no longer shown" in room(as_student(people["Ben"]), session)


def test_a_reply_is_edited_in_its_authors_box_and_a_refused_edit_keeps_the_text(session, thread):
    people, answers = thread
    r = reply(people["Ben"], answers["Ava"])
    ben = as_student(people["Ben"])
    url = reverse("seminar:answer_edit", args=[session.code, r.pk])
    response = ben.post(url, {"text": "Building on this, and a test."}, **HTMX)
    assert response.status_code == 200 and "Building on this, and a test." in response.text
    r.refresh_from_db()
    assert r.text == "Building on this, and a test." and r.edited_at is not None
    refused = ben.post(url, {"text": "y" * 2001}, **HTMX)
    html = refused.content.decode()
    assert refused.status_code == 400 and "Your reply is 2,001 characters" in html
    # The message and the text are in the reply's own form, open, not in the answer's.
    form = html[html.index(f'id="edit-reply-{r.pk}"') :]
    assert form.startswith(f'id="edit-reply-{r.pk}" open') and "y" * 2001 in form
    assert "y" * 2001 not in html[: html.index(f'id="edit-reply-{r.pk}"')]


def test_an_answer_with_replies_stays_and_a_reply_can_be_taken_back(session, thread):
    people, answers = thread
    r = reply(people["Ben"], answers["Ava"])
    ava = as_student(people["Ava"])
    url = reverse("seminar:answer_delete", args=[session.code, answers["Ava"].pk])
    refused = ava.post(url, **HTMX)
    assert refused.status_code == 409 and "Classmates replied" in refused.text
    assert "Read the diff." in refused.text  # her text, in the form, to edit instead
    assert Answer.objects.filter(pk=answers["Ava"].pk).exists()
    ben = as_student(people["Ben"])
    url = reverse("seminar:answer_delete", args=[session.code, r.pk])
    assert ben.post(url, **HTMX).status_code == 200
    assert not Answer.objects.filter(pk=r.pk).exists()
    # Taking back a reply is not taking back the answer: Ben still reads the answers.
    assert "Classmates' answers" in room(ben, session)


def test_replies_are_not_pinned_spotlit_or_marked_discussed(session, owner, thread):
    people, answers = thread
    r = reply(people["Ben"], answers["Ava"])
    for name, data in [
        ("answer_pin", {"value": "1"}),
        ("answer_spotlight", {}),
        ("answer_discussed", {"value": "1"}),
    ]:
        response = owner.post(reverse(f"seminar:{name}", args=[session.code, r.pk]), data, **HTMX)
        assert response.status_code == 409, name
        assert "a reply comes with the answer" in response.content.decode()
    r.refresh_from_db()
    assert not r.pinned and r.discussed_at is None


def test_approve_first_holds_a_reply_until_it_is_approved(session, facilitator, owner, thread):
    people, answers = thread
    services.session_update_settings(session=session, by=facilitator, approve_first=True)
    response = post_reply(
        as_student(people["Ben"]), session, answers["Ava"], move="build", text="Held reply."
    )
    assert response.status_code == 200 and "waits for review" in response.text
    r = Answer.objects.get(text="Held reply.")
    assert r.pending
    assert "Held reply." not in room(as_student(people["Cy"]), session)
    ben_page = room(as_student(people["Ben"]), session)
    mine = ben_page[ben_page.index("Your replies") :]
    assert "Waiting for review" in mine[:1500] and "Held reply." in mine
    board = owner.get(reverse("seminar:board", args=[session.code])).content.decode()
    assert "1 waiting for review" in board and "Held reply." not in board
    url = reverse("seminar:answer_review", args=[session.code, r.pk])
    assert owner.post(url, {"value": "1"}, **HTMX).status_code == 204
    assert owner.post(url, {"value": "1"}, **HTMX).status_code == 409  # approving twice
    assert "Held reply." in room(as_student(people["Cy"]), session)


def test_the_board_spotlight_shows_the_answer_with_its_replies(session, facilitator, owner, thread):
    people, answers = thread
    reply(people["Ben"], answers["Ava"], "challenge", "I see it differently: on the board.")
    hidden = reply(people["Cy"], answers["Ava"], "build", "Building on this, hidden.")
    services.answer_set_hidden(session=session, by=facilitator, answer_id=hidden.pk, hidden=True)
    services.answer_spotlight(session=session, by=facilitator, answer_id=answers["Ava"].pk)
    board = owner.get(reverse("seminar:board", args=[session.code])).content.decode()
    assert "Read the diff." in board and "I see it differently: on the board." in board
    assert "1 Challenge" in board and "hidden." not in board
    # Moderation never reaches the board.
    assert "Hide" not in board and "Approve" not in board


def test_a_student_who_only_replied_has_not_answered(session, facilitator, owner, thread):
    """Without answer-first a student may reply before answering: still "not answered yet"."""
    people, answers = thread
    services.session_update_settings(session=session, by=facilitator, answer_first=False)
    dee = services.participant_join(session=session, name="Dee")
    services.connection_open(participant=dee, channel_name="tab-dee")
    reply(dee, answers["Ava"], "question", "Which diff?")
    state = selectors.question_states(session, question__number=1)[0]
    assert state.answered_count == 3
    assert "Dee" in selectors.not_answered(session, state).names
    console = owner.get(reverse("seminar:console", args=[session.code])).content.decode()
    assert "Not answered yet (1 of 4)" in console


def test_a_repliers_box_follows_the_answer_it_quotes(session, facilitator, thread, broadcasts):
    """Ben's own box quotes Ava's answer: it is re-rendered for him live when her answer is
    edited, held again for review or hidden, as a reload would show it."""
    people, answers = thread
    reply(people["Ben"], answers["Ava"])
    services.session_update_settings(session=session, by=facilitator, approve_first=True)
    ben_box = f"participant-{people['Ben'].pk}"
    broadcasts.clear()
    services.answer_edit(participant=people["Ava"], answer_id=answers["Ava"].pk, text="Reworded.")
    assert "to an answer no longer shown" in broadcasts.html_to(ben_box)  # waiting again
    services.answer_review(
        session=session, by=facilitator, answer_id=answers["Ava"].pk, approve=True
    )
    assert ">Reworded.</q>" in broadcasts.html_to(ben_box)
    broadcasts.clear()
    services.answer_set_hidden(
        session=session, by=facilitator, answer_id=answers["Ava"].pk, hidden=True
    )
    assert "to an answer no longer shown" in broadcasts.html_to(ben_box)
