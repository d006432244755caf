"""One heartbeat per process, not one per socket.

Every `HEARTBEAT_SECONDS` it refreshes the presence row of every student socket this process
holds (one UPDATE per few hundred sockets) and tells every socket its session's version (one
query), so a client whose last frames were lost notices within a heartbeat and a dead link is
noticed by both ends (static/seminar/live.js reconnects after 65 s of silence). A socket whose
session was deleted is closed. The sockets are beaten in `SLICES` turns spread over the
period, so a lecture hall's heartbeat is a trickle, not a 1,000-frame burst every 25 s that a
new answer would have to wait behind.

Measured (docs/performance.md): a task and a database round trip per socket cost 1.5 KB and
a thread hop each every 25 s, which at 1,000 sockets was a tenth of the server's CPU.
"""

import asyncio
import itertools
import logging

from channels.db import database_sync_to_async

from seminar import selectors, services

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 25.0
SLICES = 5

# channel name -> (consumer, the turn it is beaten in), for the sockets of this process
_consumers: dict[str, tuple[object, int]] = {}
_turns = itertools.count()
_task: asyncio.Task | None = None


def add(consumer) -> None:
    global _task
    _consumers[consumer.channel_name] = (consumer, next(_turns) % SLICES)
    loop = asyncio.get_running_loop()
    if _task is None or _task.done() or _task.get_loop() is not loop:
        # A new event loop (a restarted server, a test): sockets of an old one are gone.
        for name, (other, _) in list(_consumers.items()):
            if other._loop is not loop:
                del _consumers[name]
        _task = loop.create_task(_run())


def discard(consumer) -> None:
    _consumers.pop(getattr(consumer, "channel_name", None), None)
    if not _consumers and _task is not None and _task.get_loop() is asyncio.get_running_loop():
        _task.cancel()  # nobody left to beat for


async def _run() -> None:
    for turn in itertools.cycle(range(SLICES)):
        await asyncio.sleep(HEARTBEAT_SECONDS / SLICES)
        try:
            await beat(turn)
        except Exception:
            log.exception("Heartbeat failed; the next one retries")


async def beat(turn: int | None = None) -> None:
    """Beat the sockets of one turn (or, with None, every socket)."""
    consumers = [c for c, slot in _consumers.values() if turn is None or slot == turn]
    if not consumers:
        return
    students = [c.channel_name for c in consumers if c.participant_id]
    versions = await database_sync_to_async(refresh)(students, {c.session_id for c in consumers})
    for consumer in consumers:
        if consumer.channel_name in _consumers:  # not gone while the database was asked
            try:
                consumer.beat(versions.get(consumer.session_id))
            except Exception:
                log.exception("Heartbeat to %s failed", consumer.channel_name)


def refresh(channel_names: list[str], session_ids: set[int]) -> dict[int, int]:
    services.connections_seen(channel_names=channel_names)
    # A round's phase whose countdown ran out with no screen left to say so moves on here.
    services.rounds_advance_due(session_ids=session_ids)
    return selectors.session_versions(session_ids)
