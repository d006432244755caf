"""The board's word cloud of a question (issue 17, part 2): switching the board's view from the
console, what the cloud is made of, and how it stays live without redrawing the board."""

import re

import pytest

from seminar import screens, services
from seminar.errors import SessionError
from seminar.models import QuestionState, Session

HTMX = {"HTTP_HX_REQUEST": "true"}
QUESTION_1 = 7  # the small guide's agenda: lobby, overview, three themes, quotes, people, Q1


def view_of(session, number=1) -> str:
    return QuestionState.objects.get(session=session, question__number=number).board_view


def version(session) -> int:
    return Session.objects.values_list("version", flat=True).get(pk=session.pk)


@pytest.fixture
def classroom(session, facilitator, participant):
    """Question 1 open and on the board; Ana, Ben and Cleo answered it."""
    ben = services.participant_join(session=session, name="Ben")
    cleo = services.participant_join(session=session, name="Cleo")
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    services.step_go(session=session, by=facilitator, to=QUESTION_1)
    answers = {}
    for person, text in [
        (participant, "Read the diff before merging."),
        (ben, "Read every diff twice; diffs hide bugs."),
        (cleo, "Tests first."),
    ]:
        answers[person.name], _ = services.answer_post(
            participant=person, number=1, text=text, client_token=None
        )
    return {"ana": participant, "ben": ben, "cleo": cleo, "answers": answers}


# --- the service and its view ---------------------------------------------------------------


def test_the_facilitator_switches_a_question_to_the_word_cloud_and_back(
    facilitator_client, session, classroom
):
    url = f"/facilitate/{session.code}/q/1/board-view/"
    response = facilitator_client.post(url, {"view": "cloud"}, **HTMX)
    assert response.status_code == 204
    assert view_of(session) == "cloud"
    before = version(session)
    # The same view again: nothing to publish.
    assert facilitator_client.post(url, {"view": "cloud"}, **HTMX).status_code == 204
    assert version(session) == before
    response = facilitator_client.post(url, {"view": "answers"})  # a plain form: back to console
    assert response.status_code == 302 and response["Location"] == f"/facilitate/{session.code}/"
    assert view_of(session) == "answers"


@pytest.mark.parametrize(
    "number, view, status, message",
    [
        (1, "chart", 400, "“Answers” or as a “Word cloud”"),
        (1, "", 400, "“Answers” or as a “Word cloud”"),
        (1, "CLOUD", 400, "“Answers” or as a “Word cloud”"),
        (9, "cloud", 404, "This session has no question 9."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_written(
    facilitator_client, session, classroom, number, view, status, message
):
    before = version(session)
    url = f"/facilitate/{session.code}/q/{number}/board-view/"
    response = facilitator_client.post(url, {"view": view}, **HTMX)
    assert response.status_code == status
    assert message in response.content.decode()
    assert version(session) == before and view_of(session) == "answers"


def test_an_ended_session_keeps_its_board(facilitator_client, session, facilitator, classroom):
    services.session_end(session=session, by=facilitator)
    before = version(session)
    url = f"/facilitate/{session.code}/q/1/board-view/"
    response = facilitator_client.post(url, {"view": "cloud"}, **HTMX)
    assert response.status_code == 400
    assert "This session has ended." in response.content.decode()
    assert version(session) == before and view_of(session) == "answers"


def test_the_service_refuses_others_and_names_each_refusal(session, other_facilitator, facilitator):
    cases = [
        (dict(by=other_facilitator, number=1, view="cloud"), "forbidden"),
        (dict(by=facilitator, number=1, view="wordle"), "invalid_view"),
        (dict(by=facilitator, number=0, view="cloud"), "not_found"),
    ]
    for kwargs, code in cases:
        with pytest.raises(SessionError) as refused:
            services.question_set_board_view(session=session, **kwargs)
        assert refused.value.code == code
    assert view_of(session) == "answers"


# --- what the cloud is made of ----------------------------------------------------------------


def test_the_cloud_is_made_of_the_answers_the_class_sees(session, facilitator, classroom):
    """Hidden answers, answers waiting for review and replies never count."""
    answers = classroom["answers"]
    services.reply_post(
        participant=classroom["cleo"],
        answer_id=answers["Ana"].pk,
        move="challenge",
        text="Reviewing reviewing reviewing",
        client_token=None,
    )
    services.answer_set_hidden(
        session=session, by=facilitator, answer_id=answers["Cleo"].pk, hidden=True
    )
    services.session_update_settings(session=session, by=facilitator, approve_first=True)
    dana = services.participant_join(session=session, name="Dana")
    services.answer_post(participant=dana, number=1, text="Waiting words", client_token=None)
    st = screens.State.load(session.pk)
    cloud = {t.key: t.count for t in st.terms(st.focus.question_id)}
    assert cloud == {"read": 2, "diff": 2, "merging": 1, "twice": 1, "hide": 1, "bug": 1}


def test_the_board_shows_the_cloud_as_a_list_a_screen_reader_reads(
    client, session, facilitator, classroom
):
    services.question_set_board_view(session=session, by=facilitator, number=1, view="cloud")
    html = client.get(f"/s/{session.code}/board/").content.decode()
    assert '<ol id="terms-1" class="term-list term-cloud" data-sort="terms"' in html
    items = re.findall(r'<li id="term-1-(\w+)"[^>]*data-size="(\d)">(.*?)</li>', html)
    assert [slug for slug, _, _ in items][:2] == ["diff", "read"]  # most students first
    diff = items[0]
    assert diff[1] == "5" and "diff" in diff[2]
    assert '<span class="visually-hidden">, 2 students</span>' in diff[2]
    assert 'id="answers-1"' not in html  # the cloud instead of the answers
    # The spotlight still takes the whole stage.
    services.answer_spotlight(
        session=session, by=facilitator, answer_id=classroom["answers"]["Ben"].pk
    )
    html = client.get(f"/s/{session.code}/board/").content.decode()
    assert 'id="terms-1"' not in html and "an answer to question 1" in html


def test_the_console_has_the_switch_the_terms_and_each_answers_terms(
    facilitator_client, session, classroom
):
    html = facilitator_client.get(f"/facilitate/{session.code}/").content.decode()
    panel = html[html.index('id="qc-1"') :]
    assert re.search(r'value="answers" class="small" aria-pressed="true">Answers<', panel)
    assert re.search(
        r'value="cloud" class="small secondary" aria-pressed="false">Word cloud<', panel
    )
    assert 'id="cterm-1-diff"' in panel and "Show all" in panel
    ana = classroom["answers"]["Ana"]
    assert f'id="answer-{ana.pk}"' in html
    assert re.search(rf'id="answer-{ana.pk}"[^>]*data-terms="diff merging read"', html)


# --- live ---------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_switching_redraws_the_board_once_then_answers_update_terms_one_by_one(
    facilitator, guide, broadcasts
):
    session = services.session_start(facilitator=facilitator, guide=guide)
    people = [services.participant_join(session=session, name=n) for n in ("Ana", "Ben", "Cleo")]
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    services.step_go(session=session, by=facilitator, to=QUESTION_1)
    services.answer_post(participant=people[0], number=1, text="Read the diff.", client_token=None)
    broadcasts.clear()

    services.question_set_board_view(session=session, by=facilitator, number=1, view="cloud")
    assert len(broadcasts.changes) == 1
    board = broadcasts.html_to("board")
    assert '<section id="stage"' in board and 'id="term-1-diff"' in board
    assert 'id="qc-1"' in broadcasts.html_to("facilitator")  # its switch, in its header
    assert broadcasts.html_to("readers-1") == ""  # students' screens do not change
    broadcasts.clear()

    # A new answer: its terms, item by item, with the ids to keep; never the whole stage.
    answer, _ = services.answer_post(
        participant=people[1], number=1, text="Diffs hide bugs.", client_token=None
    )
    board = broadcasts.html_to("board")
    assert 'id="stage"' not in board
    assert f'id="answer-{answer.pk}"' not in board  # no list of answers on a cloud
    assert '<i data-prune="terms-1" data-keep="term-1-diff term-1-bug term-1-hide' in board
    assert re.search(r'<li id="term-1-diff" [^>]*data-count="2"[^>]*data-into="terms-1"', board)
    console = broadcasts.html_to("facilitator")
    assert 'data-prune="cterms-1"' in console and 'id="cterm-1-diff"' in console
    assert 'id="cloud-1"' not in console
    broadcasts.clear()

    # Hidden: its words leave the cloud (pruned: "bug" and "hide" are no longer kept).
    services.answer_set_hidden(session=session, by=facilitator, answer_id=answer.pk, hidden=True)
    board = broadcasts.html_to("board")
    assert 'data-keep="term-1-diff term-1-read "' in board
    assert 'id="term-1-bug"' not in board
    broadcasts.clear()

    # A question not on the board: the console's terms follow, the board does not move.
    services.question_set_open(session=session, by=facilitator, number=2, is_open=True)
    broadcasts.clear()
    services.answer_post(participant=people[2], number=2, text="Pairing", client_token=None)
    assert "term-" not in broadcasts.html_to("board")
    assert 'id="cterm-2-pairing"' in broadcasts.html_to("facilitator")


@pytest.mark.django_db(transaction=True)
def test_a_tick_renders_the_cloud_once_whatever_the_number_of_screens(
    facilitator, guide, broadcasts
):
    """The cloud's terms are computed once per tick for the board and the console together."""
    session = services.session_start(facilitator=facilitator, guide=guide)
    people = [services.participant_join(session=session, name=f"S{i}") for i in range(30)]
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    services.step_go(session=session, by=facilitator, to=QUESTION_1)
    services.question_set_board_view(session=session, by=facilitator, number=1, view="cloud")
    for i, person in enumerate(people[:-1]):
        services.answer_post(
            participant=person, number=1, text=f"word{i % 7} diff review", client_token=None
        )
    calls = []
    real = screens.terms.key_terms

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    screens.terms.key_terms = counting
    try:
        broadcasts.clear()
        services.answer_post(participant=people[-1], number=1, text="diff", client_token=None)
    finally:
        screens.terms.key_terms = real
    assert len(calls) == 1
    board = broadcasts.html_to("board")
    assert board.count("<li ") <= 40
