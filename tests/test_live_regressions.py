"""The eight ways live screens disagreed with a reload (issue "Every screen equals a reload"),
each as a test of what a person would see. Screens are tests/live_model.Screen: the consumer's
own SocketView and live.js's rules, applied to the real pages."""

import uuid

import pytest
from django.test import Client

from seminar import identity, services
from seminar.models import Session
from tests.helpers import at_once
from tests.live_model import Screen, by_id

pytestmark = pytest.mark.django_db(transaction=True)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _presence_at_once(settings):
    settings.SEMINAR_PRESENCE_DELAY = 0


class Class:
    """A session's screens, fed by what its changes publish."""

    def __init__(self, session, broadcasts, facilitator):
        self.session, self.sent, self.facilitator = session, broadcasts, facilitator
        self.screens: list[Screen] = []

    def student(self, name: str) -> tuple[Client, object]:
        participant = services.participant_join(session=self.session, name=name)
        client = Client()
        s = client.session
        identity.remember(s, participant)
        s.save()
        return client, participant

    def open(self, client, path, role, participant=None) -> Screen:
        screen = Screen(client, path, role, participant and participant.pk)
        self.deliver()
        screen.load()
        self.screens.append(screen)
        return screen

    def room(self, client, participant) -> Screen:
        return self.open(client, f"/s/{self.session.code}/", "participant", participant)

    def console(self) -> Screen:
        client = Client()
        client.force_login(self.facilitator)
        return self.open(client, f"/facilitate/{self.session.code}/", "facilitator")

    def board(self) -> Screen:
        return self.open(Client(), f"/s/{self.session.code}/board/", "board")

    def deliver(self, order=None) -> None:
        messages = list(self.sent)
        self.sent.clear()
        if order is not None:
            messages = [messages[i] for i in order]
        for screen in self.screens:
            for message in messages:
                text = screen.consume(message)
                if text:
                    screen.receive(text)
            screen.time_passes()

    def assert_all_equal_a_reload(self) -> None:
        for screen in self.screens:
            assert screen.text() == screen.reload_text(), screen.path


@pytest.fixture
def room(session, broadcasts, facilitator):
    return Class(session, broadcasts, facilitator)


def text_of(screen, element_id) -> str:
    el = by_id(screen.root, element_id)
    return " ".join(el.text_content().split()) if el is not None else ""


def test_1_the_step_header_follows_open_close_and_end(room, session, facilitator):
    step = services.selectors.agenda(session)
    to = next(s.index for s in step if s.key == "question-1")
    services.step_go(session=session, by=facilitator, to=to)
    client, ana = room.student("Ana")
    ana_screen, console, board = room.room(client, ana), room.console(), room.board()

    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    room.deliver()
    assert "Open for answers" in text_of(ana_screen, "stage")
    assert "Open for answers" in text_of(console, "agenda")
    services.question_set_open(session=session, by=facilitator, number=1, is_open=False)
    room.deliver()
    assert "Closed" in text_of(ana_screen, "stage") and "Not open yet" not in text_of(
        ana_screen, "stage"
    )
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    services.session_end(session=session, by=facilitator)
    room.deliver()
    assert "Open for answers" not in text_of(board, "stage")
    assert "Closed" in text_of(board, "stage")
    room.assert_all_equal_a_reload()


def test_2_closing_a_question_keeps_each_students_own_marks(room, session, facilitator):
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    ana_client, ana = room.student("Ana")
    ben_client, ben = room.student("Ben")
    mine, _ = services.answer_post(participant=ana, number=1, text="Ana's", client_token=None)
    bens, _ = services.answer_post(participant=ben, number=1, text="Ben's", client_token=None)
    services.vote_set(participant=ana, answer_id=bens.pk, voted=True)
    screen = room.room(ana_client, ana)
    services.question_set_open(session=session, by=facilitator, number=1, is_open=False)
    room.deliver()
    own = by_id(screen.root, f"answer-{mine.pk}")
    assert own.get("data-mine") == "1"  # "Your answer", no Upvote button (CSS)
    voted = by_id(screen.root, f"answer-{bens.pk}")
    assert voted.xpath('.//button[@aria-pressed="true"]')
    # Pressing it again takes the vote back: it says so, it does not guess.
    assert voted.xpath('.//input[@name="value"]')[0].get("value") == "0"
    room.assert_all_equal_a_reload()


def test_2b_without_answer_first_my_own_answer_arrives_marked_as_mine(room, facilitator, guide):
    session = services.session_start(facilitator=facilitator, guide=guide, answer_first=False)
    room.session = session
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    client, ana = room.student("Ana")
    screen = room.room(client, ana)
    answer, _ = services.answer_post(participant=ana, number=1, text="Mine", client_token=None)
    room.deliver()
    assert by_id(screen.root, f"answer-{answer.pk}").get("data-mine") == "1"
    room.assert_all_equal_a_reload()


def test_3_a_posts_response_never_overwrites_a_newer_classmates_answer(room, session, facilitator):
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    ana_client, ana = room.student("Ana")
    _, ben = room.student("Ben")
    screen = room.room(ana_client, ana)
    response = ana_client.post(f"/s/{session.code}/q/1/answer/", {"text": "Mine"}, **HTMX)
    # A classmate's answer is committed and streamed before Ana's response arrives.
    theirs, _ = services.answer_post(participant=ben, number=1, text="Newer", client_token=None)
    room.deliver()
    body = response.content.decode()
    assert 'id="q-1-mine"' in body and "answers-1" not in body and "Newer" not in body
    screen.swap_response(body, "q-1-mine")
    assert by_id(screen.root, f"answer-{theirs.pk}") is not None
    room.assert_all_equal_a_reload()


def test_4_deleting_my_answer_closes_the_answer_first_gate_again(room, session, facilitator):
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    ana_client, ana = room.student("Ana")
    _, ben = room.student("Ben")
    mine, _ = services.answer_post(participant=ana, number=1, text="Mine", client_token=None)
    screen = room.room(ana_client, ana)
    services.answer_delete(participant=ana, answer_id=mine.pk)
    room.deliver()
    assert "Post your answer to see" in text_of(screen, "q-1-answers")
    services.answer_post(participant=ben, number=1, text="Ben later", client_token=None)
    room.deliver()
    assert "Ben later" not in screen.text()
    room.assert_all_equal_a_reload()


def test_5_a_students_second_tab_follows_their_own_answer(room, session, facilitator):
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    client, ana = room.student("Ana")
    first, second = room.room(client, ana), room.room(client, ana)
    response = client.post(f"/s/{session.code}/q/1/answer/", {"text": "From tab one"}, **HTMX)
    first.swap_response(response.content.decode(), "q-1-mine")
    room.deliver()
    assert "From tab one" in text_of(second, "q-1-mine")
    answer = ana.answers.get()
    client.post(f"/s/{session.code}/answers/{answer.pk}/edit/", {"text": "Edited"}, **HTMX)
    room.deliver()
    assert "Edited" in text_of(first, "q-1-mine") and "Edited" in text_of(second, "q-1-mine")
    room.assert_all_equal_a_reload()


def test_6_every_change_has_its_own_version_and_late_frames_are_put_in_order(
    room, session, facilitator
):
    client, ana = room.student("Ana")
    screens = [room.room(client, ana), room.console(), room.board()]
    start = Session.objects.get(pk=session.pk).version
    for to in (3, 5, 1):
        services.step_go(session=session, by=facilitator, to=to)
    assert [m["version"] for m in room.sent] == [start + 1, start + 2, start + 3]
    room.deliver(order=[2, 0, 1])  # committed 1, 2, 3; published 3, 1, 2
    for screen in screens:
        assert screen.version == start + 3
    assert "Step 2 of" in text_of(screens[1], "agenda")
    room.assert_all_equal_a_reload()


def test_6b_three_step_requests_at_once_leave_every_screen_on_the_last(room, session):
    console_client = Client()
    console_client.force_login(session.facilitator)
    screens = [room.console(), room.board()]
    url = f"/facilitate/{session.code}/step/"
    at_once(*[lambda to=to: console_client.post(url, {"to": to}, **HTMX) for to in "462"])
    room.deliver(order=list(reversed(range(len(room.sent)))))
    session.refresh_from_db()
    assert f"Step {session.current_step + 1} of" in text_of(screens[0], "agenda")
    for screen in screens:
        assert screen.version == session.version
    room.assert_all_equal_a_reload()


def test_7_a_gap_mid_stream_is_repaired_not_skipped(room, session, facilitator):
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    _, ana = room.student("Ana")
    board = room.board()
    services.step_go(session=session, by=facilitator, to=7)
    room.deliver()
    lost, _ = services.answer_post(participant=ana, number=1, text="Lost", client_token=None)
    frames = list(room.sent)  # its tick, and the refresh of the panels it touched
    room.sent.clear()
    for message in frames:
        board.consume(message)  # the consumer passes them on, the network loses them
    services.answer_set_pinned(session=session, by=facilitator, answer_id=lost.pk, pinned=True)
    room.deliver()  # the next frame shows the gap; a moment later the page asks for a snapshot
    assert by_id(board.root, f"answer-{lost.pk}") is not None
    room.assert_all_equal_a_reload()


def test_8_frames_never_target_what_may_not_be_there_and_two_nexts_move_two_steps(
    room, session, facilitator
):
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    _, ana = room.student("Ana")
    _, ben = room.student("Ben")
    answer, _ = services.answer_post(participant=ana, number=1, text="A", client_token=None)
    services.answer_post(participant=ben, number=1, text="B", client_token=None)
    services.vote_set(participant=ben, answer_id=answer.pk, voted=True)
    for message in room.sent:
        for _, html in message["parts"]:
            assert "hx-swap-oob" not in html  # no out-of-band swap can miss its target
    room.sent.clear()
    client = Client()
    client.force_login(facilitator)
    url = f"/facilitate/{session.code}/step/"
    at_once(*[lambda: client.post(url, {"to": "next"}, **HTMX) for _ in range(2)])
    session.refresh_from_db()
    assert session.current_step == 2


def test_a_retried_post_is_still_one_answer(room, session, facilitator):
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    client, ana = room.student("Ana")
    token = str(uuid.uuid4())
    for _ in range(2):
        client.post(f"/s/{session.code}/q/1/answer/", {"text": "Once", "client_token": token})
    assert ana.answers.count() == 1
