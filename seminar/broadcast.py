"""Publishing changes: render the regions a change touched once per audience, send one message.

Services call `publish_on_commit` inside their transaction, with the version that transaction
gave the session: the message is rendered and sent only after the commit, so nothing is sent
that is not saved, and it is labelled with that change's own number. Every socket of the
session gets it (one channel-layer group per session) and picks its audiences' parts
(seminar/delivery.py), so the stream of one session is one ordered sequence of versions.
"""

import logging
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from seminar import audiences, screens
from seminar.changes import Change
from seminar.models import Session

log = logging.getLogger(__name__)


def publish_on_commit(session_id: int, version: int, change: Change) -> None:
    # robust: a failed broadcast is logged, never turned into an error for a saved change.
    transaction.on_commit(partial(publish, session_id, version, change), robust=True)


def publish(session_id: int, version: int, change: Change) -> None:
    """Render `change` from the database as it is now and send it, labelled `version`."""
    try:
        st = screens.State.load(session_id)
    except Session.DoesNotExist:
        return  # deleted meanwhile: its sockets are closed by `gone`
    send(session_id, screens.message(st, version, change))


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

    async_to_sync(send_it)()
