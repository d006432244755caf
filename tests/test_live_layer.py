"""Delivery (seminar.layers, seminar.consumers): direct, in order, and never silently short."""

import asyncio
import contextvars
import logging
import uuid

import pytest
from channels.layers import get_channel_layer

from seminar import audiences
from seminar.consumers import BACKLOG_LIMIT, RESYNC, LiveConsumer
from seminar.delivery import SocketView
from seminar.layers import SeminarChannelLayer, SeminarRedisChannelLayer
from tests.live_clients import communicator, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


class Recorder:
    """Stands in for a consumer: what `deliver` was handed, in order."""

    def __init__(self):
        self.got = []

    def deliver(self, message):
        self.got.append(message)


async def test_attached_consumers_are_handed_group_messages_the_rest_queue():
    layer = SeminarChannelLayer()
    a, b = Recorder(), Recorder()
    for name, consumer in (("a", a), ("b", b)):
        await layer.group_add("g", f"specific.inmemory!{name}")
        layer.attach(f"specific.inmemory!{name}", consumer)
    await layer.group_add("g", "specific.inmemory!queued")
    for n in range(3):
        await layer.group_send("g", {"type": "fragment", "html": str(n)})
    assert [m["html"] for m in a.got] == ["0", "1", "2"]
    assert a.got[0] is b.got[0]  # one message object for every socket, not a copy each
    assert (await layer.receive("specific.inmemory!queued"))["html"] == "0"
    layer.detach("specific.inmemory!b")
    await layer.group_send("g", {"type": "fragment", "html": "3"})
    assert len(b.got) == 3 and len(a.got) == 4


async def test_full_queue_of_an_unattached_channel_is_logged_and_told_to_resync(caplog):
    layer = SeminarChannelLayer(capacity=3)
    await layer.group_add("g", "specific.inmemory!a")
    with caplog.at_level(logging.WARNING, logger="seminar.layers"):
        for n in range(4):
            await layer.group_send("g", {"type": "fragment", "html": f"<!--v:{n}-->"})
    assert "is full" in caplog.text and "re-sync" in caplog.text
    # The stale backlog is gone; the one message left tells the consumer to start afresh.
    assert await layer.receive("specific.inmemory!a") == {"type": "live.resync"}


def change(version: int, html: str | None = None) -> dict:
    """A change message as seminar/screens.py makes one, for the board."""
    return {"type": "change", "version": version, "parts": [["board", html or str(version)]]}


def frame(version: int) -> str:
    return f"<!--v:{version}-->{version}"


def consumer_with_slow_client():
    """A board's LiveConsumer, at version 0, whose client reads a frame only when the test
    lets it."""
    consumer = LiveConsumer(role="board", code="TEST00")
    consumer._loop = asyncio.get_running_loop()
    consumer._context = contextvars.copy_context()
    consumer.channel_name = "specific.test!1"
    consumer._busy = False
    consumer.view = SocketView("board")
    consumer.view.reset({"version": 0})
    sent, may_read = [], asyncio.Event()

    async def base_send(message):
        await may_read.wait()
        sent.append(message["text"])

    consumer.base_send = base_send
    return consumer, sent, may_read


async def test_a_slow_client_gets_every_frame_in_order_once_it_reads():
    consumer, sent, may_read = consumer_with_slow_client()
    may_read.set()
    consumer.deliver(change(1))
    assert sent == [frame(1)]  # an idle socket is written to at once, no task switch
    may_read.clear()
    for n in range(2, 6):
        consumer.deliver(change(n))
    assert sent == [frame(1)] and len(consumer._backlog) == 3  # "2" waits on the client
    may_read.set()
    for _ in range(10):
        await asyncio.sleep(0)
    assert sent == [frame(n) for n in range(1, 6)]


async def test_changes_reach_the_client_in_version_order_whatever_order_they_arrive_in():
    """Concurrent commits (threads, workers) may publish 3 before 2: the client sees 2 then 3,
    in one message; an old or repeated version is dropped."""
    consumer, sent, may_read = consumer_with_slow_client()
    may_read.set()
    consumer.deliver(change(1))
    consumer.deliver(change(3))
    assert sent == [frame(1)] and consumer.view.gap
    consumer.deliver(change(2))
    assert sent == [frame(1), frame(2) + frame(3)] and not consumer.view.gap
    consumer.deliver(change(2))
    consumer.deliver(change(3))
    assert len(sent) == 2
    assert consumer._gap_timer is None


async def test_a_gap_that_does_not_fill_is_repaired_with_a_snapshot(session, monkeypatch):
    """A version lost on the way (a broken channel layer) is not waited for forever."""
    from seminar import delivery

    monkeypatch.setattr(delivery, "GAP_SECONDS", 0.05)
    monkeypatch.setattr("seminar.consumers.GAP_SECONDS", 0.05)
    comm = communicator(f"/ws/s/{session.code}/board/")
    assert (await comm.connect())[0]
    snapshot = await receive_until(comm, "snapshot")
    version = int(snapshot.split("v:")[1].split(" ")[0])
    layer = get_channel_layer()
    await layer.group_send(audiences.session_group(session.pk), change(version + 2, "<p>x</p>"))
    again = await receive_until(comm, "snapshot", timeout=2)
    assert "<p>x</p>" not in again  # the orphan frame never reached the client alone
    await comm.disconnect()


async def test_a_socket_too_far_behind_drops_its_backlog_for_a_resync(caplog):
    consumer, sent, may_read = consumer_with_slow_client()
    consumer.deliver(change(1))
    with caplog.at_level(logging.WARNING, logger="seminar.consumers"):
        for n in range(BACKLOG_LIMIT + 1):
            consumer.deliver(change(n + 2))
    assert "messages behind" in caplog.text and "re-syncing" in caplog.text
    assert list(consumer._backlog) == [RESYNC]


async def test_socket_that_falls_behind_gets_a_fresh_snapshot(session, student_client, caplog):
    """End to end: a socket whose backlog overflows is never silently short, it is re-synced."""
    layer = get_channel_layer()
    comm = communicator(f"/ws/s/{session.code}/", student_client)
    connected, _ = await comm.connect()
    assert connected
    await receive_until(comm, "snapshot")
    (consumer,) = layer._direct.values()
    consumer._busy = True  # as if it were still sending: everything waits in its backlog
    with caplog.at_level(logging.WARNING, logger="seminar.consumers"):
        for n in range(BACKLOG_LIMIT + 1):
            await layer.group_send(audiences.session_group(session.pk), change(n + 1000))
    assert "messages behind" in caplog.text
    consumer._busy = False
    consumer._drain()
    frame = await receive_until(comm, "snapshot", timeout=5)
    assert frame.startswith("<!--v:") and 'id="stage"' in frame
    await comm.disconnect()


@pytest.mark.scaleout
async def test_redis_layer_deserialises_once_per_process_and_delivers_directly():
    """Two layers stand for two processes: a group message published by one reaches the
    other's attached consumers through `deliver` (one decoded object), and an unattached
    channel through Channels' queue."""
    prefix = f"test{uuid.uuid4().hex[:8]}"
    config = {"hosts": ["redis://127.0.0.1:6379/11"], "prefix": prefix}
    sender, receiver = SeminarRedisChannelLayer(**config), SeminarRedisChannelLayer(**config)
    a, b = Recorder(), Recorder()
    try:
        names = [await receiver.new_channel() for _ in range(3)]
        for name, consumer in zip(names, (a, b), strict=False):
            receiver.attach(name, consumer)
        for name in names:
            await receiver.group_add("g", name)
        await sender.group_send("g", {"type": "fragment", "html": "hello"})
        queued = await asyncio.wait_for(receiver.receive(names[2]), 5)
        assert queued == {"type": "fragment", "html": "hello"}
        assert a.got == [queued] and a.got[0] is b.got[0]
        # A member whose queue has just gone does not cost the others their message.
        del receiver._get_layer().channels[names[2]]
        await sender.group_send("g", {"type": "fragment", "html": "again"})
        for _ in range(50):
            if len(b.got) == 2:
                break
            await asyncio.sleep(0.05)
        assert [m["html"] for m in a.got] == [m["html"] for m in b.got] == ["hello", "again"]
    finally:
        await sender.flush()
        await receiver.flush()
