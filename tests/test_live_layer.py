"""The embedded channel layer (seminar.layers): direct delivery, order, and no silent loss."""

import logging

import pytest
from channels.layers import get_channel_layer

from seminar import groups
from seminar.layers import RESYNC, SeminarChannelLayer
from tests.live_clients import communicator, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def test_full_channel_is_logged_and_told_to_resync(caplog):
    layer = SeminarChannelLayer(capacity=3)
    await layer.group_add("g", "specific.inmemory!a")
    with caplog.at_level(logging.WARNING, logger="seminar.layers"):
        for n in range(4):
            await layer.group_send("g", {"type": "fragment", "html": f"<!--v:{n}-->"})
    assert "is full" in caplog.text and "re-sync" in caplog.text
    # The stale backlog is gone; the one message left tells the consumer to start afresh.
    assert await layer.receive("specific.inmemory!a") == RESYNC


async def test_idle_consumer_gets_broadcasts_directly_busy_one_in_order():
    class Consumer:
        def __init__(self):
            self.got, self.busy = [], False

        async def deliver_now(self, message):
            if self.busy:
                return False
            self.got.append(message["html"])
            return True

    layer = SeminarChannelLayer()
    consumer = Consumer()
    await layer.group_add("g", "specific.inmemory!a")
    layer.attach("specific.inmemory!a", consumer)
    await layer.group_send("g", {"type": "fragment", "html": "1"})
    consumer.busy = True
    await layer.group_send("g", {"type": "fragment", "html": "2"})
    consumer.busy = False
    # "2" is queued, so "3" queues behind it rather than overtaking it.
    await layer.group_send("g", {"type": "fragment", "html": "3"})
    assert consumer.got == ["1"]
    assert (await layer.receive("specific.inmemory!a"))["html"] == "2"
    assert (await layer.receive("specific.inmemory!a"))["html"] == "3"


async def test_socket_that_falls_behind_gets_a_fresh_snapshot(session, student_client, caplog):
    """A socket whose queue overflows is never silently short: it is sent a new snapshot."""
    layer = get_channel_layer()
    assert isinstance(layer, SeminarChannelLayer)
    comm = communicator(f"/ws/s/{session.code}/", student_client)
    connected, _ = await comm.connect()
    assert connected
    await receive_until(comm, "snapshot")
    layer._direct.clear()  # as if the consumer were busy: everything queues
    with caplog.at_level(logging.WARNING, logger="seminar.layers"):
        for n in range(layer.capacity + 1):
            await layer.group_send(
                groups.students(session.pk), {"type": "fragment", "html": f"<!--v:{n}-->"}
            )
    assert "is full" in caplog.text
    frame = await receive_until(comm, "snapshot", timeout=5)
    assert frame.startswith("<!--v:") and 'id="stage"' in frame
    await comm.disconnect()
