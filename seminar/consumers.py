"""The one websocket consumer: a student's room, the board, or the facilitator's console.

Thin by design: on connect it checks who may watch, joins its session's stream, and sends the
current state; afterwards it passes each change on to its client as one frame, in version
order, with the parts of its audiences (seminar/delivery.py `SocketView`), and hands the one
message a client may send (`resync`) to a fresh snapshot.

How broadcasts reach it (measured on the fan-out benchmark, docs/performance.md): the
channel layers in `seminar.layers` hand each group message to the process's consumers
directly (`deliver`), so a socket costs no queue and no waiting task of its own. A consumer
that cannot take a message at once (its snapshot is being read, or its client is slow) keeps
it in a bounded backlog, in order; one that falls too far behind is re-synced.
"""

import asyncio
import contextvars
import functools
import json
import logging
from collections import deque
from importlib import import_module
from types import SimpleNamespace

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user
from django.core.exceptions import ImproperlyConfigured
from django.http.cookie import parse_cookie

from seminar import (
    audiences,
    broadcast,
    heartbeats,
    identity,
    ratelimit,
    screens,
    selectors,
    services,
)
from seminar.delivery import GAP_SECONDS, SocketView
from seminar.errors import SessionError
from seminar.layers import RESYNC
from seminar.models import Session

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 4096
# A socket this many messages behind (a client that stopped reading) gets a fresh snapshot
# instead of the backlog.
BACKLOG_LIMIT = 1000


async def _in_thread(func, *args):
    """`func(*args)` on the database thread, from a task of its own: what asgiref leaves in
    the caller's context after a call (a few hundred bytes of its locals) then goes with
    that task, instead of staying with a socket for the whole lesson."""
    return await asyncio.ensure_future(database_sync_to_async(func)(*args))


# The roles whose access can be taken away while their socket is open (sharing, links,
# accounts): they check it again on every change that says who may watch, and on a re-sync.
GUARDED_ROLES = ("facilitator", "moderator")


class LiveConsumer(AsyncWebsocketConsumer):
    role: str  # "participant" | "board" | "facilitator" | "moderator"
    code: str  # the session's join code
    session_id: int | None = None
    participant_id: int | None = None
    _revoked = False  # closed because it may no longer watch: deliver nothing more
    view: SocketView | None = None
    # Until the snapshot is sent (and while a re-sync is), messages wait in the backlog.
    _busy = True
    _backlog: deque | None = None
    # A send still waiting for the client to read; later messages wait behind it.
    _sending: asyncio.Task | None = None
    _gap_timer: asyncio.TimerHandle | None = None
    _context: contextvars.Context | None = None

    async def __call__(self, scope, receive, send):
        """Channels' own loop, less its per-socket queue and the task waiting on it: group
        messages arrive through `deliver`, so only the websocket is awaited here."""
        layer = get_channel_layer(self.channel_layer_alias)
        if getattr(layer, "attach", None) is None:
            raise ImproperlyConfigured(
                "CHANNEL_LAYERS must use a layer from seminar.layers (it delivers directly)."
            )
        self.scope, self.channel_layer, self.base_send = scope, layer, send
        self.channel_name = await layer.new_channel()
        self._loop = asyncio.get_running_loop()
        # Messages arrive from whoever published them (a request's thread, via async_to_sync):
        # work started for a socket runs in a context of the server's own, not the
        # publisher's, whose thread may be gone by then. One for all sockets: nothing in it is
        # a socket's own, and each send gets a copy.
        if LiveConsumer._context is None:
            LiveConsumer._context = contextvars.copy_context()
        layer.attach(self.channel_name, self)
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass
        finally:  # closed, or cancelled by the server: either way, no more deliveries
            heartbeats.discard(self)
            layer.detach(self.channel_name)
            if self._sending is not None:
                self._sending.cancel()
            if self._gap_timer is not None:
                self._gap_timer.cancel()
            self._backlog = None

    def __init__(self, *, role: str, code: str):
        super().__init__()
        self.role, self.code = role, code.upper()  # from its path (seminar/routing.py)

    async def connect(self):
        refusal = await _in_thread(self._authorize, self.code)
        if refusal is not None:
            # Accepted only to say why, then closed: a browser reports a refused handshake
            # to nobody, and live.js shows this message and "Not allowed".
            await self.accept()
            await self._error(refusal)
            await self.close(code=4403)
            return
        self.view = SocketView(self.role, self.participant_id)
        broadcast.bind_loop()
        await self.accept()
        group = audiences.session_group(self.session_id)
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups.append(group)
        await self._send_snapshot()
        heartbeats.add(self)

    async def disconnect(self, code):
        if self.participant_id:
            await database_sync_to_async(services.connection_close)(channel_name=self.channel_name)

    # -- who may watch ----------------------------------------------------------------------

    def _authorize(self, code: str) -> str | None:
        """None if this socket may watch, else why not. Reads the browser's Django session
        straight from its cookie: the socket only reads it, so Channels' session and auth
        middleware (a wrapper around every frame sent) are not needed. Unknown codes count
        against the client like on every URL (no code oracle)."""
        try:
            session = selectors.session_for_client(code, ratelimit.client_of_scope(self.scope))
        except SessionError as error:
            return error.message
        if session is None:
            return "No session has this code. Reload the page."
        self.session_id = session.pk
        if self.role == "board":
            return None
        if self.role in GUARDED_ROLES:
            return self._refusal(session)
        participant = identity.participant_for(self._django_session(), session)
        if participant is None:
            return "Not allowed: join the session first, then reload the page."
        services.connection_open(participant=participant, channel_name=self.channel_name)
        self.participant_id = participant.pk
        return None

    def _refusal(self, session: Session) -> str | None:
        """Why this console or moderator socket may not watch `session` now, or None. Read
        afresh each time, from the browser's Django session as stored: signing out deletes it,
        a new password or a deactivated account make `get_user` anonymous."""
        browser = self._django_session()
        if session.is_facilitated_by(get_user(SimpleNamespace(session=browser))):
            return None
        if self.role == "facilitator":
            return "Not allowed: sign in as this session's facilitator and reload the page."
        link = identity.moderator_for(browser, session)
        if link is None:
            return "Not allowed: open the moderator link on this device, then reload the page."
        if link.revoked_at is not None:
            return services.MODERATOR_REVOKED
        return None

    def _still_allowed(self) -> str | None:
        """`_refusal` for this socket's session as it is now (gone: refused)."""
        session = Session.objects.filter(pk=self.session_id).first()
        if session is None:
            return "This session was deleted."
        return self._refusal(session)

    def _django_session(self):
        cookies = b"; ".join(v for k, v in self.scope.get("headers", ()) if k == b"cookie")
        key = parse_cookie(cookies.decode("latin-1")).get(settings.SESSION_COOKIE_NAME)
        return import_module(settings.SESSION_ENGINE).SessionStore(key)

    # -- state -------------------------------------------------------------------------------

    async def _check_then_send(self, text: str):
        """Who may watch changed: if this socket may no longer, say why and close (4403:
        live.js shows "Not allowed"), before the frame, which may hold what it must not see;
        else send the frame."""
        refusal = await _in_thread(self._still_allowed)
        if refusal is not None:
            await self._refuse(refusal)
            return
        if text:
            await self.base_send({"type": "websocket.send", "text": text})

    async def _refuse(self, refusal: str):
        self._revoked = True
        await self._error(refusal)
        await self.close(code=4403)

    def _snapshot(self) -> dict:
        if self.role in GUARDED_ROLES and (refusal := self._still_allowed()) is not None:
            raise PermissionError(refusal)
        st = screens.State.load(self.session_id)
        participant = None
        if self.role == "participant":
            participant = st.session.participants.get(pk=self.participant_id)
        return screens.snapshot(st, self.role, participant)

    async def _send_snapshot(self):
        # The stream was joined before the state is read, so no change falls between the two:
        # messages at or below the snapshot's version are dropped, later ones follow it.
        self._busy = True
        try:
            try:
                snapshot = await _in_thread(self._snapshot)
            except Session.DoesNotExist:
                await self.close(code=1000)
                return
            except PermissionError as refusal:  # its access was taken away
                await self._refuse(str(refusal))
                return
            self.view.reset(snapshot)
            self._watch_gap()
            await self.send(text_data=snapshot["html"])
        finally:
            self._busy = False
            self._drain()

    def beat(self, version: int | None) -> None:
        """From seminar.heartbeats: the session's version, so a client whose last frames were
        lost notices within a heartbeat; None means the session is gone."""
        if version is None:
            self.deliver({"type": "gone"})
            return
        ticker = self.channel_layer.ticker(audiences.session_group(self.session_id))
        if ticker is not None and ticker.behind(version):
            version = None  # on its way in this tick: nothing is missing
        self.deliver({"type": "beat", "version": version})

    # -- from the client ----------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None or len(text_data) > MAX_MESSAGE_BYTES:
            await self._error("Message too large or not text.")
            return
        try:
            message = json.loads(text_data)
        except ValueError:
            await self._error("Messages must be JSON.")
            return
        if not isinstance(message, dict):
            await self._error("Messages must be JSON objects.")
            return
        if message.get("type") == "resync":
            self.deliver(RESYNC)  # in order with the stream, never beside it
        elif message.get("type") == "due":
            # A countdown reached zero on this screen: the server's clock decides (any socket
            # may ask; a phase moves on once).
            await _in_thread(
                functools.partial(services.rounds_advance_due, session_ids={self.session_id})
            )
        else:
            await self._error("Unknown message type.")

    async def _error(self, text: str):
        await self.send(text_data=json.dumps({"error": text}))

    # -- from the channel layer ----------------------------------------------------------------

    def deliver(self, message: dict) -> None:
        """Called by seminar.layers for every message to this socket, in the event loop:
        pass it on now, or after the ones before it."""
        if self._revoked:
            return
        if self._busy or self._sending is not None or self._backlog:
            self._hold(message)
        else:
            self._start(message)

    def _hold(self, message: dict) -> None:
        if self._backlog is None:
            self._backlog = deque()
        elif len(self._backlog) >= BACKLOG_LIMIT:
            log.warning(
                "Socket %s is %d messages behind: dropping its backlog and re-syncing it",
                self.channel_name,
                len(self._backlog),
            )
            self._backlog.clear()
            message = RESYNC
        self._backlog.append(message)

    def _start(self, message: dict) -> None:
        # Started eagerly: the frame is written to the socket before this returns, so frames
        # keep their order and an idle socket costs no task switch. A client that stops
        # reading makes the server's write wait for room in its buffer; that wait happens in
        # this task, never in the layer's loop over the group, so one stuck laptop cannot hold
        # back the class. Until it clears, this socket's messages wait in its backlog.
        kind = message["type"]
        if kind == "change":
            text = self.view.take(message)
            self._watch_gap()
            if message.get("recheck") and self.role in GUARDED_ROLES:
                step = self._check_then_send(text)
            elif not text:
                return
            else:
                step = self.base_send({"type": "websocket.send", "text": text})
        elif kind == "beat":
            # A consumer waiting out a gap of its own re-syncs by itself: say where it is.
            version = message["version"]
            if self.view.gap or version is None:
                version = self.view.version
            step = self.base_send({"type": "websocket.send", "text": f"<!--v:{version} hb-->"})
        elif kind == "gone":
            step = self.close(code=1000)
        elif kind == RESYNC["type"]:
            step = self._send_snapshot()
        else:
            log.warning("Unknown message %r for %s", kind, self.channel_name)
            return
        task = asyncio.Task(step, loop=self._loop, eager_start=True, context=self._context.copy())
        if task.done():
            self._report(task)
        else:
            self._sending = task
            task.add_done_callback(self._sent)

    def _watch_gap(self) -> None:
        """Messages held behind a missing one: give it GAP_SECONDS to arrive, then re-sync."""
        if self.view.gap and self._gap_timer is None:
            self._gap_timer = self._loop.call_later(GAP_SECONDS, self._gap_expired)
        elif not self.view.gap and self._gap_timer is not None:
            self._gap_timer.cancel()
            self._gap_timer = None

    def _gap_expired(self) -> None:
        self._gap_timer = None
        if self.view is not None and self.view.gap:
            log.info(
                "Socket %s missed version %d: re-syncing", self.channel_name, self.view.version + 1
            )
            self.deliver(RESYNC)

    def _sent(self, task: asyncio.Task) -> None:
        self._sending = None
        self._report(task)
        self._drain()

    def _drain(self) -> None:
        while self._backlog and not self._busy and self._sending is None and not self._revoked:
            self._start(self._backlog.popleft())
        if self._backlog is not None and not self._backlog:
            self._backlog = None  # a thousand idle sockets hold no empty queues

    def _report(self, task: asyncio.Task) -> None:
        error = None if task.cancelled() else task.exception()
        if isinstance(error, OSError):  # the client has gone; its disconnect is on its way
            log.debug("Delivery to %s failed: %r", self.channel_name, error)
        elif error is not None:
            log.warning("Delivery to %s failed: %r", self.channel_name, error)
