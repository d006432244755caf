"""Coalescing: each process renders a session's changes once per tick, for all its sockets.

When the whole class posts at once, rendering and sending one frame per answer per socket is
work that grows with posts × sockets. Instead, the changes a session's stream brings to this
process (small messages from seminar/broadcast.py) wait in its `Ticker`:

- a quiet room gets each change at once: a change that finds the ticker idle for a tick is
  rendered straight away;
- under load, everything that arrived during the last render or tick is merged into one
  `Change` and rendered once (seminar/screens.py `message`), so each socket gets one frame
  per tick carrying every change since the last, in version order; counts and the "not
  answered yet" lines are rendered once per tick, not once per post;
- while ticks carry several changes (changes arrive faster than a tick is rendered and
  sent), the tick stretches to LOAD times what the last one cost here, up to MAX_TICK: a
  large class gets fewer, fuller frames, and the posts themselves keep most of the server;
  at a steady trickle each change still goes out on its own, at once;
- changes are taken strictly in version order: one that arrives after a gap (concurrent
  commits, several workers) waits for the missing ones; if they have not come within
  GAP_SECONDS, every socket of the session here re-syncs from a snapshot;
- renders run on one thread of their own, so a burst of posts and the rendering of their
  frames do not queue behind each other.

The consumer-side ordering rules (seminar/delivery.py) still hold for every socket: a
rendered message says which versions it covers, and a socket takes it only in order.
"""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from seminar import screens
from seminar.changes import Change
from seminar.delivery import GAP_SECONDS
from seminar.models import Session

log = logging.getLogger(__name__)

_renderer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="seminar-render")

# Under load a tick is LOAD times what the last one cost (render and send), at least
# SEMINAR_TICK and at most MAX_TICK: answers still reach every screen well within a second.
LOAD = 3.0
MAX_TICK = 0.5


def render(session_id: int, first: int, last: int, change: Change) -> dict | None:
    """The message bringing every socket of the session from `first - 1` to `last` (None if
    the session is gone: its sockets are closed by `broadcast.gone`)."""
    try:
        st = screens.State.load(session_id)
    except Session.DoesNotExist:
        return None
    return screens.message(st, first, last, change)


def _render_job(session_id: int, first: int, last: int, change: Change) -> dict | None:
    close_old_connections()
    try:
        return render(session_id, first, last, change)
    finally:
        close_old_connections()


class Ticker:
    """One session's changes in this process, rendered once per tick for every socket here.

    `deliver(message)` hands a rendered message (or a re-sync) to every socket of the session
    in this process. Lives on the event loop that serves those sockets.
    """

    def __init__(self, session_id: int, loop: asyncio.AbstractEventLoop, deliver):
        self.session_id = session_id
        self.loop = loop
        self.deliver = deliver
        self.released: int | None = None  # the last version rendered (or skipped by a re-sync)
        self.pending: dict[int, Change] = {}
        self.rendering = False
        self._last_start = -1e9
        self._cost = 0.0  # seconds the last tick took, from its start to its frames sent
        self._coalescing = False  # the last tick carried several changes
        self._timer: asyncio.TimerHandle | None = None
        self._gap_timer: asyncio.TimerHandle | None = None

    @property
    def idle(self) -> bool:
        return not (self.pending or self.rendering or self._timer)

    def take(self, message: dict) -> None:
        version = message["version"]
        if self.released is not None and version <= self.released:
            return
        self.pending[version] = Change.from_message(message.get("change") or {})
        self._wake()

    def behind(self, version: int) -> bool:
        """Whether `version` (the database's, from a heartbeat) is still on its way here."""
        return self.released is None or version > self.released and not self.idle

    def _wake(self) -> None:
        if self.rendering or self._timer is not None:
            return
        tick = settings.SEMINAR_TICK
        if self._coalescing:
            tick = min(MAX_TICK, max(tick, LOAD * self._cost))
        wait = self._last_start + tick - self.loop.time()
        self._timer = self.loop.call_later(max(0.0, wait), self._start)

    def _run(self) -> list[int]:
        """The versions that follow `released` without a gap."""
        if not self.pending:
            return []
        nxt = min(self.pending) if self.released is None else self.released + 1
        run = []
        while nxt in self.pending:
            run.append(nxt)
            nxt += 1
        return run

    def _start(self) -> None:
        self._timer = None
        run = self._run()
        if not run:
            if self.pending and self._gap_timer is None:
                self._gap_timer = self.loop.call_later(GAP_SECONDS, self._gap_expired)
            return
        if self._gap_timer is not None:
            self._gap_timer.cancel()
            self._gap_timer = None
        change = Change()
        for version in run:
            change = change.merge(self.pending.pop(version))
        first, last = run[0], run[-1]
        self._coalescing = last > first
        self.released = last
        self.rendering = True
        self._last_start = self.loop.time()
        self.loop.create_task(self._render(first, last, change))

    async def _render(self, first: int, last: int, change: Change) -> None:
        try:
            message = await sync_to_async(_render_job, thread_sensitive=False, executor=_renderer)(
                self.session_id, first, last, change
            )
        except Exception:
            log.exception(
                "Rendering versions %d-%d of session %s failed", first, last, self.session_id
            )
            message = {"type": "live.resync"}
        finally:
            self.rendering = False
        if message is not None:
            self.deliver(message)
        self._cost = self.loop.time() - self._last_start
        if self.pending:
            self._wake()

    def _gap_expired(self) -> None:
        self._gap_timer = None
        if self._run() or not self.pending:
            self._wake()
            return
        log.info(
            "Session %s: version %s never reached this process; re-syncing its sockets",
            self.session_id,
            None if self.released is None else self.released + 1,
        )
        self.released = max(self.pending)
        self.pending.clear()
        self.deliver({"type": "live.resync"})
