"""Publishing changes: after the commit, one small message per change to its session's stream.

Services call `publish_on_commit` inside their transaction, with the version that transaction
gave the session. The message is sent only after the commit, so nothing is sent that is not
saved, and it carries only what the change touched (`Change.as_message()`: a few ids), never
HTML: the post path does its own write and nothing else. Each process serving the session's
sockets merges the changes of one tick and renders them once for all its sockets
(seminar/ticks.py), so the work of a burst follows the tick rate, not the post rate.
"""

import asyncio
import logging
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from seminar import audiences
from seminar.changes import Change

log = logging.getLogger(__name__)

# The event loop serving this process's sockets (consumers register it when they connect).
_loop: asyncio.AbstractEventLoop | None = None


def bind_loop() -> None:
    """Called from the event loop that serves the sockets."""
    global _loop
    _loop = asyncio.get_running_loop()


def serving_loop() -> asyncio.AbstractEventLoop | None:
    """The loop serving sockets here, if one is running."""
    loop = _loop
    if loop is None or not loop.is_running() or loop.is_closed():
        return None
    return loop


def publish_on_commit(session_id: int, version: int, change: Change) -> None:
    # robust: a failed broadcast is logged, never turned into an error for a saved change.
    transaction.on_commit(partial(publish, session_id, version, change), robust=True)


def publish(session_id: int, version: int, change: Change) -> None:
    """Send `change`, labelled `version`, to every process serving the session's sockets."""
    send(session_id, {"type": "change", "version": version, "change": change.as_message()})


def gone(session_id: int) -> None:
    """The session was deleted: every socket of it closes."""
    send(session_id, {"type": "gone"})


def send(session_id: int, message: dict) -> None:
    """Send one message to every socket of a session. A full or unreachable channel layer is
    logged, never raised: the change is committed, and clients re-sync from a snapshot."""
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_it():
        try:
            await layer.group_send(audiences.session_group(session_id), message)
        except Exception:
            log.exception("Broadcast to session %s failed; clients will re-sync", session_id)

    loop = serving_loop()
    if loop is None:  # a command, a test without sockets: send it before returning
        async_to_sync(send_it)()
        return
    try:
        on_loop = asyncio.get_running_loop() is loop
    except RuntimeError:
        on_loop = False
    if on_loop:
        loop.create_task(send_it())
    else:
        # From a request's thread: hand it to the loop and return. The request does not wait
        # for the loop, which may be busy sending a tick's frames; versions keep the order.
        loop.call_soon_threadsafe(lambda: loop.create_task(send_it()))
