"""Faults survived: a server killed mid-class, a laptop asleep, a channel layer that fails.

The crash test runs the app as a real server process (manage.py serve, tests.servers.Server)
on the test database; students are plain HTTP clients (urllib, a cookie jar, the form's CSRF
token) and websocket clients (the `websockets` package) that reconnect the way the browser does.
"""

import http.client
import http.cookiejar
import logging
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from channels.db import database_sync_to_async
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import connect as ws_connect

from seminar import identity, selectors, services
from seminar.models import Answer, Participant
from tests.live_clients import communicator, receive_until
from tests.servers import Server

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ANSWER_ID_RE = re.compile(r'id="answer-(\d+)"')
KIND_RE = re.compile(r'id="stage"[^>]*data-kind="([^"]+)"|data-kind="([^"]+)"[^>]*id="stage"')
VERSION_RE = re.compile(r"<!--v:(\d+)")

# Rate limits are not what these tests are about: a whole class posts from one address.
FAST = {"SEMINAR_JOIN_RATE": "10000", "SEMINAR_POST_RATE": "10000"}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A student's browser over plain HTTP: cookies kept, CSRF token read from the page."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect
        )

    def request(self, path: str, data: dict | None = None, timeout: float = 10) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:  # 3xx (redirects are not followed), 4xx, 5xx
            return error.code, error.read().decode()

    def csrf(self, path: str) -> str:
        status, html = self.request(path)
        assert status == 200, (path, status)
        return CSRF_RE.search(html).group(1)

    def join(self, code: str, name: str) -> None:
        token = self.csrf(f"/j/{code}")
        status, _ = self.request(f"/j/{code}", {"name": name, "csrfmiddlewaretoken": token})
        assert status == 302

    def post_answer(self, code: str, number: int, text: str, token: str, csrf: str) -> int:
        return self.request(
            f"/s/{code}/q/{number}/answer/",
            {"text": text, "client_token": token, "csrfmiddlewaretoken": csrf},
        )[0]

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def socket_for(server: Server, path: str, browser: Browser | None = None, **kwargs):
    headers = {"Origin": server.url}
    if browser is not None:
        headers["Cookie"] = browser.cookie_header
    return ws_connect(
        f"ws://127.0.0.1:{server.port}{path}",
        additional_headers=headers,
        open_timeout=5,
        legacy=True,
        **kwargs,
    )


def reconnect(server: Server, path: str, browser: Browser, within: float = 20):
    """What live.js does after a drop: try again (with backoff) until the server is back."""
    deadline, delay = time.monotonic() + within, 0.1
    while True:
        try:
            return socket_for(server, path, browser)
        except (OSError, InvalidHandshake, InvalidStatus, TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 1)


def snapshot_of(sock, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while True:
        frame = sock.recv(timeout=max(0.1, deadline - time.monotonic()))
        if "snapshot" in frame.split("-->")[0]:
            return frame


def state(html: str) -> dict:
    """What a screen shows, in comparable terms."""
    kind = KIND_RE.search(html)
    version = VERSION_RE.search(html)
    return {
        "answers": set(map(int, ANSWER_ID_RE.findall(html))),
        "kind": kind and (kind.group(1) or kind.group(2)),
        "version": version and int(version.group(1)),
    }


def drain_until_closed(sock, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    with pytest.raises((ConnectionClosed, TimeoutError)):
        while time.monotonic() < deadline:
            sock.recv(timeout=max(0.1, deadline - time.monotonic()))
        raise AssertionError("the socket stayed open after the server was killed")


@pytest.mark.django_db(transaction=True)
def test_a_server_killed_mid_post_loses_no_acknowledged_answer_and_sockets_are_made_whole(
    session, facilitator
):
    for number in (1, 2, 3):
        services.question_set_open(session=session, by=facilitator, number=number, is_open=True)
    code = session.code
    server = Server(env=FAST, log_name="crash").start()
    try:
        students = [Browser(server.url) for _ in range(8)]
        for i, browser in enumerate(students):
            browser.join(code, f"Student {i}")
        reader = students[0]  # answers everything first, so reads every answer
        room_socket = socket_for(server, f"/ws/s/{code}/", reader)
        board_socket = socket_for(server, f"/ws/s/{code}/board/")
        snapshot_of(room_socket), snapshot_of(board_socket)

        acknowledged: dict[str, str] = {}  # client token -> text, for every 302 received
        in_doubt: list[tuple[Browser, int, str, str, str]] = []  # sent, no answer: retried
        todo = [(b, n) for n in (1, 2, 3) for b in students]
        killed = threading.Event()

        def post_continuously():
            csrf = {id(b): b.csrf(f"/s/{code}/") for b in students}
            for browser, number in todo:
                token, text = str(uuid.uuid4()), f"Answer {number} by {id(browser)}"
                try:
                    status = browser.post_answer(code, number, text, token, csrf[id(browser)])
                except (OSError, http.client.HTTPException):
                    in_doubt.append((browser, number, text, token, csrf[id(browser)]))
                    return
                assert status == 302, status
                acknowledged[token] = text
                if killed.is_set():
                    return

        poster = threading.Thread(target=post_continuously)
        poster.start()
        while len(acknowledged) < 6:
            time.sleep(0.01)
        server.stop(kill=True)  # SIGKILL: no shutdown, no goodbye frames
        killed.set()
        poster.join(20)
        assert not poster.is_alive()
        assert len(acknowledged) < len(todo)  # killed with posts still to send
        drain_until_closed(room_socket)
        drain_until_closed(board_socket)

        # While the server is down, the facilitator's other worker moves the class on.
        step = next(i for i, s in enumerate(selectors.agenda(session)) if s.key == "question-2")
        services.step_go(session=session, by=facilitator, to=step)

        server.start()
        # The student's browser re-sends what it never heard back about, same token.
        for browser, number, text, token, csrf in in_doubt:
            assert browser.post_answer(code, number, text, token, csrf) == 302
            acknowledged[token] = text

        for token, text in acknowledged.items():
            rows = list(Answer.objects.filter(client_token=token).values_list("text", flat=True))
            assert rows == [text], token
        assert Answer.objects.filter(session=session).count() == len(acknowledged)

        # Clients reconnect; what the socket shows equals a fresh load of the same student.
        room_socket = reconnect(server, f"/ws/s/{code}/", reader)
        live = state(snapshot_of(room_socket))
        status, over_http = reader.request(f"/s/{code}/state/")
        assert status == 200
        status, page = reader.request(f"/s/{code}/")
        assert status == 200
        assert live == state(over_http)
        assert live["kind"] == "question" and state(page)["kind"] == "question"
        assert live["answers"] == state(page)["answers"]
        # Answer-first: the reader sees the answers to the questions they answered.
        read = Participant.objects.get(session=session, name="Student 0").answers.values_list(
            "question__number", flat=True
        )
        expected_visible = set(
            Answer.objects.filter(session=session, question__number__in=list(read)).values_list(
                "pk", flat=True
            )
        )
        assert live["answers"] == expected_visible and expected_visible

        board_socket = reconnect(server, f"/ws/s/{code}/board/", Browser(server.url))
        board = state(snapshot_of(board_socket))
        status, board_page = Browser(server.url).request(f"/s/{code}/board/")
        assert board["kind"] == state(board_page)["kind"] == "question"
        assert (
            board["answers"]
            == state(board_page)["answers"]
            == set(
                Answer.objects.filter(session=session, question__number=2).values_list(
                    "pk", flat=True
                )
            )
        )
        room_socket.close()
        board_socket.close()
    finally:
        server.stop()


# --- laptop asleep / Wi-Fi gone ---


@pytest.mark.django_db(transaction=True)
async def test_a_sleeping_laptop_misses_everything_and_is_made_whole(session, facilitator):
    """Extends tests/test_board_live.py::test_a_reconnecting_student_is_made_whole with what it
    leaves out: an unhide, an unpin, a vote taken back, a question opened and one closed (its
    answers revealed), a classmate's edit and deletion, a setting, and several step moves."""
    from django.test import Client

    ana = await database_sync_to_async(services.participant_join)(session=session, name="Ana")
    ben = await database_sync_to_async(services.participant_join)(session=session, name="Ben")
    cy = await database_sync_to_async(services.participant_join)(session=session, name="Cy")
    dee = await database_sync_to_async(services.participant_join)(session=session, name="Dee")
    call = database_sync_to_async
    for number in (1, 2):
        await call(services.question_set_open)(
            session=session, by=facilitator, number=number, is_open=True
        )
    a1, _ = await call(services.answer_post)(
        participant=ana, number=1, text="Ana one", client_token=None
    )
    b1, _ = await call(services.answer_post)(
        participant=ben, number=1, text="Ben one", client_token=None
    )
    c1, _ = await call(services.answer_post)(
        participant=cy, number=1, text="Cy one", client_token=None
    )
    d1, _ = await call(services.answer_post)(
        participant=dee, number=1, text="Dee one", client_token=None
    )
    b2, _ = await call(services.answer_post)(
        participant=ben, number=2, text="Ben two", client_token=None
    )
    await call(services.answer_set_hidden)(
        session=session, by=facilitator, answer_id=b1.pk, hidden=True
    )
    await call(services.answer_set_pinned)(
        session=session, by=facilitator, answer_id=c1.pk, pinned=True
    )
    await call(services.vote_toggle)(participant=ana, answer_id=c1.pk)

    def browser_of(participant):
        client = Client()
        s = client.session
        identity.remember(s, participant)
        s.save()
        return client

    ana_client = await call(browser_of)(ana)
    comm = communicator(f"/ws/s/{session.code}/", ana_client)
    assert (await comm.connect())[0]
    before = await receive_until(comm, "snapshot")
    assert f'id="answer-{b1.pk}"' not in before and 'data-pinned="1"' in before
    assert "Ben two" not in before  # answer-first: Ana has not answered question 2
    await comm.disconnect()  # the lid closes

    await call(services.answer_set_hidden)(
        session=session, by=facilitator, answer_id=b1.pk, hidden=False
    )
    await call(services.answer_set_pinned)(
        session=session, by=facilitator, answer_id=c1.pk, pinned=False
    )
    await call(services.vote_toggle)(participant=ana, answer_id=c1.pk)  # from her phone
    await call(services.answer_edit)(participant=cy, answer_id=c1.pk, text="Cy one, edited")
    await call(services.answer_delete)(participant=dee, answer_id=d1.pk)
    await call(services.question_set_open)(session=session, by=facilitator, number=2, is_open=False)
    await call(services.question_set_open)(session=session, by=facilitator, number=3, is_open=True)
    await call(services.session_update_settings)(
        session=session, by=facilitator, names_hidden=False
    )
    for key in ("theme-2", "quotes", "question-3"):
        step = next(i for i, s in enumerate(selectors.agenda(session)) if s.key == key)
        await call(services.step_go)(session=session, by=facilitator, to=step)

    comm = communicator(f"/ws/s/{session.code}/", ana_client)
    assert (await comm.connect())[0]
    after = await receive_until(comm, "snapshot")
    http_state = (await call(ana_client.get)(f"/s/{session.code}/state/")).content.decode()
    assert state(after) == state(http_state)
    assert 'data-focus-question="3"' in after
    assert 'id="q-3-state" class="q-state" data-status="open"' in after
    assert f'id="answer-{d1.pk}"' not in after and "Dee one" not in after  # deleted
    assert f'id="answer-{b1.pk}"' in after  # unhidden
    assert f'id="answer-{a1.pk}"' in after
    assert "Cy one, edited" in after and 'data-pinned="1"' not in after
    assert 'aria-pressed="true"' not in after  # her vote was taken back
    assert "Ben two" in after  # question 2 closed: its answers revealed to everyone
    await comm.disconnect()


# --- the channel layer full or unreachable ---


@pytest.mark.django_db(transaction=True)
async def test_a_failing_channel_layer_loses_no_post_and_clients_resync_after(
    session, facilitator, caplog
):
    """group_send raises (full, or Redis gone) for one post: the post is saved and the student
    gets their redirect; the failure is logged; the next change's version shows the board's
    socket a gap, which it repairs by itself within about a second: its client gets a snapshot
    with the missed answer, never the later frame alone."""
    from channels.exceptions import ChannelFull
    from channels.layers import get_channel_layer
    from django.test import Client

    call = database_sync_to_async
    await call(services.question_set_open)(session=session, by=facilitator, number=1, is_open=True)
    step = next(i for i, s in enumerate(selectors.agenda(session)) if s.key == "question-1")
    await call(services.step_go)(session=session, by=facilitator, to=step)
    ana = await call(services.participant_join)(session=session, name="Ana")
    ben = await call(services.participant_join)(session=session, name="Ben")
    board = communicator(f"/ws/s/{session.code}/board/")
    assert (await board.connect())[0]
    seen = state(await receive_until(board, "snapshot"))["version"]

    def post_as(participant, text):
        client = Client(raise_request_exception=False)
        s = client.session
        identity.remember(s, participant)
        s.save()
        return client.post(f"/s/{session.code}/q/1/answer/", {"text": text})

    layer = get_channel_layer()
    real_group_send = layer.group_send

    async def broken(group, message):
        raise ChannelFull(group)

    layer.group_send = broken
    try:
        with caplog.at_level(logging.ERROR, logger="seminar.broadcast"):
            response = await call(post_as)(ana, "Sent while the layer was down")
    finally:
        layer.group_send = real_group_send
    assert response.status_code == 302
    missed = await call(Answer.objects.get)(text="Sent while the layer was down")
    assert "Broadcast to" in caplog.text and "failed" in caplog.text
    assert await board.receive_nothing(timeout=0.3)

    response = await call(post_as)(ben, "Sent after it came back")
    assert response.status_code == 302
    frame = await receive_until(board, "Sent after it came back", timeout=5)
    assert "snapshot" in frame[:40]  # the consumer held the later frame and re-synced
    assert state(frame)["version"] > seen + 1
    assert f'id="answer-{missed.pk}"' in frame
    await board.disconnect()


@pytest.mark.django_db(transaction=True)
def test_with_redis_unreachable_students_still_join_and_post(session, facilitator):
    """REDIS_URL points at a closed port: every broadcast fails, the rate-limit cache too.
    Students still join and post (302, no 500), the answers persist, the log says why."""
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    server = Server(env={**FAST, "REDIS_URL": "redis://127.0.0.1:1/9"}, log_name="redis-down")
    server.start(timeout=30)
    try:
        texts = []
        for i in range(3):
            browser = Browser(server.url)
            browser.join(session.code, f"Offline {i}")
            csrf = browser.csrf(f"/s/{session.code}/")
            texts.append(f"Posted with Redis down {i}")
            status = browser.post_answer(session.code, 1, texts[-1], str(uuid.uuid4()), csrf)
            assert status == 302
            status, page = browser.request(f"/s/{session.code}/")
            assert status == 200 and texts[-1] in page
        assert (
            sorted(Answer.objects.filter(session=session).values_list("text", flat=True)) == texts
        )
    finally:
        server.stop()
    log = server.log_path.read_text(errors="replace")
    assert "Broadcast to" in log and "failed" in log
    assert " 500 " not in log and "Internal Server Error" not in log
