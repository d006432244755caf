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
- while changes arrive more than OVERLOAD times faster than ticks could carry them one by
  one (over the last RATE_SECONDS), the tick stretches to LOAD times what the last one cost
  here, up to MAX_TICK: a large class gets fewer, fuller frames, and the posts themselves
  keep most of the server. Below that rate ticks follow each other as soon as changes
  are there, each carrying what arrived during the one before: a tick that happened to
  carry two changes does not stretch the next one (it did, and a stretched tick collects
  more changes, so a room at a steady trickle stayed stretched, each answer waiting three
  ticks' cost on a machine where a tick cost about as long as the gap between answers);
- changes are taken strictly in version order: one that arrives after a gap (concurrent
  commits, several workers) waits for the missing ones; if they have not come within
  GAP_SECONDS, every socket of the session here re-syncs from a snapshot;
- renders run on one thread of their own, so a burst of posts and the rendering of their
  frames do not queue behind each other.

The consumer-side ordering rules (seminar/delivery.py) still hold for every socket: a
rendered message says which versions it covers, and a socket takes it only in order.

What a tick renders is bounded by what this process shows, not by the features the app has:
- a region nobody here shows is not rendered: the ticker asks its layer which audiences have
  a socket here (a console, a moderator's phone, a board, students) before each render;
- the panels that read the whole class or all of a question's answers (the console's who is
  here, not answered yet, Participation and key terms, the board's word cloud) render at most
  once per PANEL_SECONDS, and never in a tick's own message: they go out as a `refresh` of
  the version every socket here is at, right after the tick's frames when the first change
  after a quiet second brings them, else together with everything held (`Panels`) once the
  second is up. Measured at 1,000 students (issue 24), they cost more per render than all
  of a post's other regions together; rendered inside the tick, that cost was added to
  every student's wait for the answer.
"""

import asyncio
import logging
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from seminar import screens, turns
from seminar.changes import Change
from seminar.delivery import GAP_SECONDS
from seminar.models import Session

log = logging.getLogger(__name__)

_renderer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="seminar-render")

# Under load a tick is LOAD times what the last one cost (render and send), at least
# SEMINAR_TICK and at most MAX_TICK: answers still reach every screen well within a second.
LOAD = 3.0
MAX_TICK = 0.5
# Ticks stretch when changes come this many times faster than ticks could send them one by
# one, counted over the last RATE_SECONDS.
OVERLOAD = 2.0
RATE_SECONDS = 1.0
# The panels (screens.panel_parts) render at most once per this many seconds.
PANEL_SECONDS = 1.0


def render(
    session_id: int,
    first: int,
    last: int,
    change: Change,
    *,
    here: frozenset[str] = screens.EVERYONE,
) -> dict | None:
    """The message bringing every socket of the session from `first - 1` to `last` (None if
    the session is gone: its sockets are closed by `broadcast.gone`), for the audiences `here`,
    without the panels: they follow as a refresh (`render_refresh`)."""
    try:
        st = screens.State.load(session_id)
    except Session.DoesNotExist:
        return None
    return screens.message(st, first, last, change, here=here)


def render_refresh(
    session_id: int, version: int, panels: Change, *, here: frozenset[str] = screens.EVERYONE
) -> dict | None:
    """The panels held back until now, for the sockets at `version` (None: nothing to send)."""
    try:
        st = screens.State.load(session_id)
    except Session.DoesNotExist:
        return None
    return screens.refresh(st, version, panels, here=here)


def _in_job(func, *args, **kwargs):
    turns.wait_for_fan_out()  # another session's frames going out: after them
    close_old_connections()
    try:
        return func(*args, **kwargs)
    finally:
        close_old_connections()


class Panels:
    """The panels' changes, let through at most once per PANEL_SECONDS: `take` returns what to
    render after this tick (None: hold it), `flush` what is held once its time has come, and
    `defer` holds what was due again, behind the changes waiting for the next tick, for at
    most one more period."""

    def __init__(self, interval: float | None = None):
        self.interval = PANEL_SECONDS if interval is None else interval
        self.held: Change | None = None
        self.last = -1e9  # when panels were last let through
        self.deferred: float | None = None  # since when the due panels have been waiting

    def take(self, change: Change, now: float) -> Change | None:
        merged = change if self.held is None else self.held.merge(change)
        if now - self.last >= self.interval:
            self.held, self.last = None, now
            return merged
        self.held = merged
        return None

    def defer(self, change: Change, now: float) -> bool:
        """Hold `change` (just let through) again, still due: False once it has waited a
        period, when it must go whatever is waiting."""
        if self.deferred is None:
            self.deferred = now
        elif now - self.deferred >= self.interval:
            self.deferred = None
            return False
        self.held = change if self.held is None else change.merge(self.held)
        self.last = now - self.interval
        return True

    def rendered(self) -> None:
        self.deferred = None

    def due_in(self, now: float) -> float | None:
        """Seconds until what is held may go (None: nothing is held)."""
        if self.held is None:
            return None
        return max(0.0, self.last + self.interval - now)

    def flush(self, now: float) -> Change | None:
        if self.held is None or now - self.last < self.interval:
            return None
        held, self.held, self.last = self.held, None, now
        return held


class Ticker:
    """One session's changes in this process, rendered once per tick for every socket here.

    `deliver(message)` hands a rendered message (or a re-sync) to every socket of the session
    in this process; `here()` says which audiences have a socket here. Lives on the event loop
    that serves those sockets.
    """

    def __init__(
        self,
        session_id: int,
        loop: asyncio.AbstractEventLoop,
        deliver,
        here=lambda: screens.EVERYONE,
    ):
        self.session_id = session_id
        self.loop = loop
        self.deliver = deliver
        self.here = here
        self.panels = Panels()
        self.released: int | None = None  # the last version rendered (or skipped by a re-sync)
        self.pending: dict[int, Change] = {}
        self.rendering = False
        self._last_start = -1e9
        self._cost = 0.0  # seconds the last tick took, from its start to its frames sent
        self._arrivals: deque[float] = deque()  # when changes came, over RATE_SECONDS
        self._timer: asyncio.TimerHandle | None = None
        self._gap_timer: asyncio.TimerHandle | None = None

    @property
    def idle(self) -> bool:
        return not (self.pending or self.rendering or self._timer or self.panels.held)

    def take(self, message: dict) -> None:
        version = message["version"]
        if self.released is not None and version <= self.released:
            return
        self.pending[version] = Change.from_message(message.get("change") or {})
        self._arrivals.append(self.loop.time())
        self._wake()

    def _overloaded(self, now: float) -> bool:
        """Changes come OVERLOAD times faster than ticks of the last one's cost could send
        them one by one."""
        arrivals = self._arrivals
        while arrivals and arrivals[0] < now - RATE_SECONDS:
            arrivals.popleft()
        return len(arrivals) * self._cost > OVERLOAD * RATE_SECONDS

    def behind(self, version: int) -> bool:
        """Whether `version` (the database's, from a heartbeat) is still on its way here."""
        return (
            self.released is None
            or version > self.released
            and bool(self.pending or self.rendering)
        )

    def _wake(self) -> None:
        if self.rendering:
            return
        now = self.loop.time()
        if self._timer is not None:
            if not self._run() or self._timer.when() <= now + settings.SEMINAR_TICK:
                return
            # Waiting only for the panels' time: a change goes out first, on its own tick.
            self._timer.cancel()
            self._timer = None
        if self._run():
            tick = settings.SEMINAR_TICK
            if self._overloaded(now):
                tick = min(MAX_TICK, max(tick, LOAD * self._cost))
            wait = self._last_start + tick - now
        elif self.pending and self._gap_timer is None:
            wait = 0.0  # starts the wait for the missing version
        else:
            wait = self.panels.due_in(now)
            if wait is None:
                return
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
        now = self.loop.time()
        if not run:
            if self.pending and self._gap_timer is None:
                self._gap_timer = self.loop.call_later(GAP_SECONDS, self._gap_expired)
            panels = self.panels.flush(now) if self.released is not None else None
            if panels is not None:
                # Nothing new since: the held panels, for the sockets at `released`.
                self.rendering = True
                self.loop.create_task(self._refresh(self.released, panels))
            else:
                self._wake()
            return
        if self._gap_timer is not None:
            self._gap_timer.cancel()
            self._gap_timer = None
        change = Change()
        for version in run:
            change = change.merge(self.pending.pop(version))
        first, last = run[0], run[-1]
        self.released = last
        self.rendering = True
        self._last_start = now
        self.loop.create_task(self._tick(first, last, change, self.panels.take(change, now)))

    async def _tick(self, first: int, last: int, change: Change, panels: Change | None) -> None:
        try:
            await self._send((first, last), render, self.session_id, first, last, change)
            self._cost = self.loop.time() - self._last_start
            # The class has its frames: the panels follow, as a refresh of `last`, so their
            # reading of the whole class never holds an answer back; and if more changes
            # came meanwhile, after their tick (for at most a period).
            if panels is not None and not (
                self._run() and self.panels.defer(panels, self.loop.time())
            ):
                await self._send((last, last), render_refresh, self.session_id, last, panels)
                self.panels.rendered()
        finally:
            self.rendering = False
        self._wake()

    async def _refresh(self, version: int, panels: Change) -> None:
        try:
            await self._send((version, version), render_refresh, self.session_id, version, panels)
            self.panels.rendered()
        finally:
            self.rendering = False
        self._wake()

    async def _send(self, versions: tuple[int, int], job, *args) -> None:
        """`job(*args)` (the message for `versions`) on the render thread, then delivered."""
        try:
            message = await sync_to_async(_in_job, thread_sensitive=False, executor=_renderer)(
                job, *args, here=self.here()
            )
        except Exception:
            log.exception(
                "Rendering versions %d-%d of session %s failed", *versions, self.session_id
            )
            message = {"type": "live.resync"}
        if message is not None:
            self.deliver(message)

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
        self.panels.held = None  # every socket's snapshot has them
        self.deliver({"type": "live.resync"})
