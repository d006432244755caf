"""Every screen follows live: snapshot on connect, deltas to the right audiences."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from seminar import services
from seminar.asgi import application
from tests.live_clients import communicator, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def connect(path, client=None, **kwargs):
    comm = communicator(path, client, **kwargs)
    connected, code = await comm.connect()
    return comm, connected, code


async def test_participant_gets_current_step_on_connect(session, student_client):
    comm, connected, _ = await connect(f"/ws/s/{session.code}/", student_client)
    assert connected
    snapshot = await comm.receive_from()
    assert snapshot.startswith("<!--v:")
    assert "snapshot" in snapshot.split("-->")[0]
    assert 'id="stage"' in snapshot and 'data-kind="lobby"' in snapshot
    await comm.disconnect()


async def test_step_change_reaches_room_board_and_console(
    session, facilitator, student_client, facilitator_client
):
    room, ok1, _ = await connect(f"/ws/s/{session.code}/", student_client)
    board, ok2, _ = await connect(f"/ws/s/{session.code}/board/")
    console, ok3, _ = await connect(f"/ws/facilitate/{session.code}/", facilitator_client)
    assert ok1 and ok2 and ok3
    for comm in (room, board, console):
        await receive_until(comm, "snapshot")

    await database_sync_to_async(services.step_next)(session=session, by=facilitator)

    room_frame = await receive_until(room, 'id="stage"')
    assert 'data-kind="overview"' in room_frame
    board_frame = await receive_until(board, 'id="stage"')
    assert 'data-kind="overview"' in board_frame
    console_frame = await receive_until(console, 'id="agenda"')
    assert 'aria-current="step"' in console_frame
    for comm in (room, board, console):
        await comm.disconnect()


async def test_reconnecting_socket_gets_what_it_missed(session, facilitator, student_client):
    comm, _, _ = await connect(f"/ws/s/{session.code}/", student_client)
    await comm.receive_from()
    await comm.disconnect()
    await database_sync_to_async(services.step_go)(session=session, by=facilitator, to=4)
    await database_sync_to_async(services.question_set_open)(
        session=session, by=facilitator, number=2, is_open=True
    )

    comm, _, _ = await connect(f"/ws/s/{session.code}/", student_client)
    snapshot = await comm.receive_from()
    assert (
        'data-kind="theme"' in snapshot and "Creativity" in snapshot
    )  # lobby, overview, themes 1-3
    assert 'id="q-2-state" class="q-state" data-status="open"' in snapshot
    await comm.disconnect()


async def test_foreign_origin_is_refused(session, student_client):
    comm, connected, _ = await connect(
        f"/ws/s/{session.code}/", student_client, origin=(b"origin", b"http://evil.example")
    )
    assert not connected


async def test_a_path_where_no_screen_lives_is_refused(session, student_client):
    for path in (
        "/ws/nowhere/",
        f"/ws/s/{session.code}/moderate/",
        f"/ws/facilitate/{session.code}/board/",
        f"/ws/s/{session.code}/extra/",
    ):
        comm, connected, _ = await connect(path, student_client)
        assert not connected, path


async def refused_with(comm) -> str:
    """A refused socket is told why (live.js shows it), then closed with 4403."""
    error = json.loads((await comm.receive_output(timeout=3))["text"])["error"]
    assert await comm.receive_output(timeout=3) == {"type": "websocket.close", "code": 4403}
    return error


async def test_board_needs_a_real_session(db):
    comm, connected, _ = await connect("/ws/s/ZZZZZZ/board/")
    assert "No session has this code" in await refused_with(comm)


async def test_room_socket_needs_a_participant(session, client):
    comm, connected, _ = await connect(f"/ws/s/{session.code}/", client)
    assert "join the session first" in await refused_with(comm)


async def test_console_socket_refuses_other_facilitators(session, other_facilitator, client):
    await sync_to_async(client.force_login)(other_facilitator)
    comm, connected, _ = await connect(f"/ws/facilitate/{session.code}/", client)
    assert "sign in as this session's facilitator" in await refused_with(comm)


async def test_same_host_on_another_port_is_a_foreign_origin(session, student_client):
    comm, connected, _ = await connect(
        f"/ws/s/{session.code}/", student_client, origin=(b"origin", b"http://127.0.0.1:9999")
    )
    assert not connected


async def test_a_host_not_in_allowed_hosts_is_refused_even_from_its_own_page(session, settings):
    """A page served under a name the operator did not allow (DNS rebinding) cannot open a
    socket, even though its Origin and Host agree."""
    settings.ALLOWED_HOSTS = ["seminar.school.example"]
    comm = WebsocketCommunicator(
        application,
        f"/ws/s/{session.code}/board/",
        headers=[(b"host", b"rebound.example"), (b"origin", b"http://rebound.example")],
    )
    connected, _ = await comm.connect()
    assert not connected
    allowed = WebsocketCommunicator(
        application,
        f"/ws/s/{session.code}/board/",
        headers=[
            (b"host", b"seminar.school.example"),
            (b"origin", b"http://seminar.school.example"),
        ],
    )
    connected, _ = await allowed.connect()
    assert connected
    await allowed.disconnect()


async def test_unknown_codes_on_sockets_count_like_everywhere_else(db, settings, session):
    """No code oracle: after too many unknown codes, a live code is refused as well."""
    settings.SEMINAR_JOIN_RATE = 3
    for _ in range(3):
        comm, _, _ = await connect("/ws/s/ZZZZZZ/board/")
        await refused_with(comm)
    comm, _, _ = await connect(f"/ws/s/{session.code}/board/")
    assert "Too many wrong join codes" in await refused_with(comm)


async def test_no_one_can_change_the_step_over_the_socket(
    session, student_client, facilitator_client
):
    """Stepping is the console's form (one place per action): a socket only listens."""
    for path, client in (
        (f"/ws/s/{session.code}/", student_client),
        (f"/ws/facilitate/{session.code}/", facilitator_client),
    ):
        comm, _, _ = await connect(path, client)
        await receive_until(comm, "snapshot")
        await comm.send_json_to({"type": "step", "to": "next"})
        reply = await receive_until(comm, '"error"')
        assert "Unknown message type" in reply
        await comm.disconnect()
    await database_sync_to_async(session.refresh_from_db)()
    assert session.current_step == 0


async def test_bad_messages_get_an_error_and_the_socket_stays_healthy(session, student_client):
    comm, _, _ = await connect(f"/ws/s/{session.code}/", student_client)
    await comm.receive_from()
    for bad in [
        "not json",
        "[1,2]",
        '{"type": "nope"}',
        "x" * 10000,
        '{"type": "step", "to": true}',
    ]:
        await comm.send_to(text_data=bad)
        reply = await comm.receive_json_from()
        assert reply["error"]
    await comm.send_json_to({"type": "resync"})
    assert "snapshot" in await comm.receive_from()
    await comm.disconnect()


async def test_ending_reaches_every_socket(
    session, facilitator, student_client, facilitator_client
):
    room, _, _ = await connect(f"/ws/s/{session.code}/", student_client)
    board, _, _ = await connect(f"/ws/s/{session.code}/board/")
    console, _, _ = await connect(f"/ws/facilitate/{session.code}/", facilitator_client)
    for comm in (room, board, console):
        await comm.receive_from()
    await database_sync_to_async(services.question_set_open)(
        session=session, by=facilitator, number=1, is_open=True
    )
    await database_sync_to_async(services.session_end)(session=session, by=facilitator)
    frame = await receive_until(room, 'id="ended"')
    # The student's open question closes with the session: no form left to type into.
    assert 'id="q-1-state" class="q-state" data-status="closed"' in frame
    for comm in (board, console):
        frame = await receive_until(comm, 'id="ended"')
        assert "This session has ended" in frame
    # The sockets stay open: notes may still be written up, and a reload equals the screen.
    for comm in (room, board, console):
        await comm.disconnect()


async def test_presence_counts_a_participant_with_two_tabs_once(
    session, student_client, facilitator_client
):
    await database_sync_to_async(
        lambda: services.question_set_open(
            session=session, by=session.facilitator, number=1, is_open=True
        )
    )()
    console, _, _ = await connect(f"/ws/facilitate/{session.code}/", facilitator_client)
    await console.receive_from()
    tab1, _, _ = await connect(f"/ws/s/{session.code}/", student_client)
    frame = await receive_until(console, 'id="people"')
    assert "<strong>1</strong> here now" in frame
    # The open question's "not answered yet" counts the newcomer, here while it is open.
    assert "Not answered yet (1 of 1):</strong> Ana" in frame
    tab2, _, _ = await connect(f"/ws/s/{session.code}/", student_client)
    frame = await receive_until(console, 'id="people"')
    assert "<strong>1</strong> here now" in frame
    await tab1.disconnect()
    frame = await receive_until(console, 'id="people"')
    assert "<strong>1</strong> here now" in frame
    await tab2.disconnect()
    frame = await receive_until(console, 'id="people"')
    assert "<strong>0</strong> here now" in frame
    await console.disconnect()
