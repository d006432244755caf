"""The heartbeat (seminar.heartbeats): one per process keeps presence fresh and every socket
told its session's version, so a client whose frames were lost finds out within 25 s."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from seminar import heartbeats, services
from seminar.models import Connection, Session
from tests.live_clients import communicator, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def open_room_and_board(session, student_client):
    room = communicator(f"/ws/s/{session.code}/", student_client)
    board = communicator(f"/ws/s/{session.code}/board/")
    for comm in (room, board):
        assert (await comm.connect())[0]
        await receive_until(comm, "snapshot")
    return room, board


async def test_a_beat_tells_every_socket_the_version_and_refreshes_presence(
    session, facilitator, student_client
):
    room, board = await open_room_and_board(session, student_client)
    long_ago = timezone.now() - timedelta(minutes=5)
    await database_sync_to_async(Connection.objects.update)(last_seen=long_ago)
    # A change whose frames this client "lost": the heartbeat carries the newer version.
    await database_sync_to_async(Session.objects.filter(pk=session.pk).update)(version=41)
    await heartbeats.beat()
    for comm in (room, board):
        assert await comm.receive_from() == "<!--v:41 hb-->"
    (connection,) = await database_sync_to_async(list)(Connection.objects.all())
    assert connection.last_seen > long_ago + timedelta(minutes=4)
    for comm in (room, board):
        await comm.disconnect()


async def test_sockets_of_a_deleted_session_are_closed_by_the_next_beat(
    session, facilitator, student_client
):
    room, board = await open_room_and_board(session, student_client)
    await database_sync_to_async(services.session_delete)(session=session, by=facilitator)
    await heartbeats.beat()
    for comm in (room, board):
        while (output := await comm.receive_output(timeout=2))["type"] != "websocket.close":
            pass
        assert output["code"] == 1000


async def test_the_heartbeat_runs_by_itself_and_reaches_every_socket_once_a_period(
    session, student_client, monkeypatch
):
    """Sockets are beaten in turns spread over the period; each one once per period."""
    monkeypatch.setattr(heartbeats, "HEARTBEAT_SECONDS", 0.5)
    sockets = [communicator(f"/ws/s/{session.code}/board/") for _ in range(heartbeats.SLICES + 2)]
    for comm in sockets:
        assert (await comm.connect())[0]
        await receive_until(comm, "snapshot")
    for comm in sockets:
        assert (await receive_until(comm, " hb-->", timeout=2)).startswith("<!--v:")
    for comm in sockets:
        await comm.disconnect()
