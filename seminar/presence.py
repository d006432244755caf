"""Who is here: joins, connects and disconnects, published as coalesced, versioned changes.

A class of 1,000 connecting at once would otherwise be 1,000 broadcasts of the whole people
list. At most one presence change per session is published every SEMINAR_PRESENCE_DELAY
seconds, showing the latest state. The wait is a timer on the event loop that serves the
sockets (consumers register it with `broadcast.bind_loop`); with none running here (a management
command, a sync test), or with no delay, the change is published at once.
"""

import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, transaction

from seminar import broadcast
from seminar.changes import Change

log = logging.getLogger(__name__)

_pending: set[int] = set()


def changed(session_id: int) -> None:
    """Someone joined, connected or left (called after the commit that says so)."""
    delay = settings.SEMINAR_PRESENCE_DELAY
    loop = broadcast.serving_loop()
    if delay <= 0 or loop is None:
        publish(session_id)
        return
    loop.call_soon_threadsafe(_schedule, loop, session_id, delay)


def publish(session_id: int) -> None:
    """Publish the session's presence now, as a change of its own version."""
    from seminar.services import next_version

    with transaction.atomic():
        version = next_version(session_id)
        if version is None:
            return  # deleted meanwhile
        broadcast.publish_on_commit(session_id, version, Change(presence=True))


def _schedule(loop, session_id: int, delay: float) -> None:
    if session_id in _pending:
        return
    _pending.add(session_id)
    loop.call_later(delay, lambda: loop.create_task(_publish_later(session_id)))


async def _publish_later(session_id: int) -> None:
    _pending.discard(session_id)
    # Not thread-sensitive: the broadcast inside must be free to hop back onto this loop.
    await sync_to_async(_publish_job, thread_sensitive=False)(session_id)


def _publish_job(session_id: int) -> None:
    close_old_connections()
    try:
        publish(session_id)
    except Exception:
        log.exception("Presence for session %s was not published", session_id)
    finally:
        close_old_connections()
