"""A slow or stuck client never slows the others, and is dropped after a bounded backlog.

Why it holds (uvicorn + the websockets library, measured here with a real server):
- A broadcast reaches each consumer directly from the channel layer; the consumer starts the
  send eagerly, so the frame is written into the socket's transport at once. When a client stops
  reading, its buffer fills and the *next* write waits for room: that wait runs in the
  consumer's own task (seminar/consumers.py, deliver), never in the layer's loop over the
  group, so the others are not held back. Meanwhile the stuck socket's messages wait in its
  backlog, and a backlog 1,000 messages long is dropped and replaced by a re-sync.
- The backlog is bounded in time: the server pings every socket every `--ping-interval`
  seconds (default 20) and closes one whose pong does not come within `--ping-timeout`
  (default 20). A client that does not read cannot pong, so it is dropped within about 40 s
  with the defaults; the consumer's disconnect removes its presence row, so the class sees
  it leave.

The test uses --ping-interval 2 --ping-timeout 3 to keep the run short; the bound scales.

Bound stated and asserted: with two stuck clients connected (one a raw TCP socket that never
reads, one a `websockets` client with a 1-frame queue that stops reading), every answer reaches
every one of 10 healthy clients within 2 s of being posted (typically tens of milliseconds), and
both stuck clients are dropped within 12 s of going silent.
"""

import base64
import os
import socket
import statistics
import threading
import time
import uuid

import pytest
from websockets.exceptions import ConnectionClosed

from seminar import selectors, services
from seminar.models import Connection, Participant
from tests.servers import Server
from tests.test_crash_recovery import FAST, Browser, snapshot_of, socket_for

PING_INTERVAL, PING_TIMEOUT = 2, 3
DROP_WITHIN = PING_INTERVAL + PING_TIMEOUT + 2 + 5  # + the server's ping checker, + slack: 12 s
DELIVERY_BOUND = 2.0
HEALTHY = 10
POSTS = 24


def pinging_server(**kwargs) -> Server:
    """A Server that pings sooner, so a silent client is found out in seconds."""
    return Server(
        args=["--ping-interval", str(PING_INTERVAL), "--ping-timeout", str(PING_TIMEOUT)], **kwargs
    )


def stuck_raw_socket(server: Server, path: str, browser: Browser) -> socket.socket:
    """A websocket handshake over a raw TCP socket with a tiny receive buffer; then silence."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    sock.connect(("127.0.0.1", server.port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: {server.url}\r\nCookie: {browser.cookie_header}\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock  # never read again


class Listener(threading.Thread):
    """A healthy client: reads every frame and notes when each answer marker arrived."""

    def __init__(self, sock):
        super().__init__(daemon=True)
        self.sock = sock
        self.arrivals: dict[str, float] = {}
        self.error: BaseException | None = None

    def run(self):
        try:
            while True:
                frame = self.sock.recv()
                now = time.monotonic()
                for marker in _markers(frame):
                    self.arrivals.setdefault(marker, now)
        except ConnectionClosed:
            pass
        except BaseException as error:  # noqa: BLE001
            self.error = error


def _markers(frame: str) -> list[str]:
    return [part[:12] for part in frame.split("MARK-")[1:]]


@pytest.mark.django_db(transaction=True)
def test_stuck_clients_do_not_delay_the_others_and_are_dropped(session, facilitator):
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    step = next(i for i, s in enumerate(selectors.agenda(session)) if s.key == "question-1")
    services.step_go(session=session, by=facilitator, to=step)
    code = session.code
    server = pinging_server(env=FAST, log_name="slow-clients").start()
    stuck_raw = stuck_ws = None
    try:
        # Two stuck students who answered first, so every answer's full HTML is sent to them.
        stuck_people = []
        for name in ("Stuck Raw", "Stuck Queue"):
            browser = Browser(server.url)
            browser.join(code, name)
            csrf = browser.csrf(f"/s/{code}/")
            assert browser.post_answer(code, 1, "x" * 2000, str(uuid.uuid4()), csrf) == 302
            stuck_people.append(browser)
        stuck_raw = stuck_raw_socket(server, f"/ws/s/{code}/", stuck_people[0])
        stuck_ws = socket_for(server, f"/ws/s/{code}/", stuck_people[1], max_queue=1)
        stuck_ids = list(
            Participant.objects.filter(session=session, name__startswith="Stuck").values_list(
                "pk", flat=True
            )
        )
        _wait(lambda: Connection.objects.filter(participant_id__in=stuck_ids).count() == 2, 5)

        # Healthy clients: boards and a reading student.
        reader = Browser(server.url)
        reader.join(code, "Reader")
        csrf = reader.csrf(f"/s/{code}/")
        assert reader.post_answer(code, 1, "Reading along", str(uuid.uuid4()), csrf) == 302
        sockets = [socket_for(server, f"/ws/s/{code}/board/") for _ in range(HEALTHY - 1)]
        sockets.append(socket_for(server, f"/ws/s/{code}/", reader))
        for sock in sockets:
            snapshot_of(sock)
        listeners = [Listener(sock) for sock in sockets]
        for listener in listeners:
            listener.start()

        # The class posts long answers while the stuck clients sit on their backlog.
        posters = []
        for i in range(POSTS):
            browser = Browser(server.url)
            browser.join(code, f"Poster {i}")
            posters.append((browser, browser.csrf(f"/s/{code}/")))
        silent_since = time.monotonic()
        sent: dict[str, float] = {}
        for i, (browser, csrf) in enumerate(posters):
            marker = f"{i:012d}"
            sent[marker] = time.monotonic()
            text = f"MARK-{marker} " + "y" * 1900
            assert browser.post_answer(code, 1, text, str(uuid.uuid4()), csrf) == 302

        _wait(lambda: all(len(lis.arrivals) >= POSTS for lis in listeners), 10)
        latencies = [
            lis.arrivals[m] - t for lis in listeners for m, t in sent.items() if m in lis.arrivals
        ]
        assert all(lis.error is None for lis in listeners)
        assert len(latencies) == HEALTHY * POSTS, "a healthy client missed an answer"
        worst = max(latencies)
        assert worst < DELIVERY_BOUND, (worst, statistics.median(latencies))

        # The stuck ones are dropped within the bound, and the class sees them leave.
        _wait(
            lambda: not Connection.objects.filter(participant_id__in=stuck_ids).exists(),
            DROP_WITHIN - (time.monotonic() - silent_since),
        )
        with pytest.raises((ConnectionResetError, BrokenPipeError, OSError)):
            stuck_raw.settimeout(5)
            while stuck_raw.recv(65536):
                pass
            raise ConnectionResetError("closed")  # EOF is a drop too

        # And the server is as quick as ever for everyone else.
        browser = Browser(server.url)
        browser.join(code, "Latecomer")
        csrf = browser.csrf(f"/s/{code}/")
        t0 = time.monotonic()
        assert browser.post_answer(code, 1, "MARK-latecomer0000", str(uuid.uuid4()), csrf) == 302
        _wait(lambda: all("latecomer000" in lis.arrivals for lis in listeners), DELIVERY_BOUND)
        assert max(lis.arrivals["latecomer000"] for lis in listeners) - t0 < DELIVERY_BOUND
        for sock in sockets:
            sock.close()
    finally:
        if stuck_raw is not None:
            stuck_raw.close()
        if stuck_ws is not None:
            stuck_ws.socket.close()
        server.stop()


def _wait(condition, within: float, step: float = 0.05) -> None:
    deadline = time.monotonic() + max(within, 0)
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within:.1f}s")
        time.sleep(step)
