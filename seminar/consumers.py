"""The one websocket consumer: a student's room, the board, or the facilitator's console.

Thin by design: on connect it checks who may watch, joins the audience groups, and sends the
current state; afterwards it forwards pre-rendered fragments and hands the few messages a
client may send to the actions in `seminar.services`.

How broadcasts reach it (measured on the fan-out benchmark, docs/performance.md): the
channel layers in `seminar.layers` hand each group message to the process's consumers
directly (`deliver`), so a socket costs no queue and no waiting task of its own, and a
broadcast to 1,000 sockets is 1,000 writes, not 1,000 task wake-ups. A consumer that cannot
take a message at once (its snapshot is being read, or its client is slow) keeps it in a
bounded backlog, in order; one that falls too far behind is re-synced, never silently short.
"""

import asyncio
import json
import logging
from collections import deque
from importlib import import_module
from types import SimpleNamespace

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user
from django.core.exceptions import ImproperlyConfigured
from django.http.cookie import parse_cookie

from seminar import groups, heartbeats, identity, services, snapshots
from seminar.errors import SessionError
from seminar.layers import RESYNC
from seminar.models import Session

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 4096
# A socket this many broadcasts behind (a client that stopped reading) gets a fresh snapshot
# instead of the backlog.
BACKLOG_LIMIT = 1000
# Handlers that only forward HTML: they never touch the database, so they skip Channels'
# per-message `aclose_old_connections()` thread hop (the largest cost of a broadcast).
FORWARDING_TYPES = frozenset({"fragment", "reveal", "ended"})


class LiveConsumer(AsyncWebsocketConsumer):
    role: str  # "participant" | "board" | "facilitator", from the route
    session_id: int | None = None
    participant_id: int | None = None
    user = None  # the facilitator, on the console's socket
    # Until the snapshot is sent (and while a re-sync is), broadcasts wait in the backlog.
    _busy = True
    _backlog: deque | None = None
    # A send still waiting for the client to read; later broadcasts wait behind it.
    _sending: asyncio.Task | None = None

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
            self._backlog = None

    async def dispatch(self, message):
        if message["type"] in FORWARDING_TYPES:
            await getattr(self, get_handler_name(message))(message)
        else:
            await super().dispatch(message)

    async def connect(self):
        self.role = self.scope["url_route"]["kwargs"]["role"]
        code = self.scope["url_route"]["kwargs"]["code"].upper()
        if not await database_sync_to_async(self._authorize)(code):
            await self.close(code=4403)
            return
        await self.accept()
        for group in self._base_groups():
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups.append(group)
        await self._send_snapshot()
        heartbeats.add(self)

    async def disconnect(self, code):
        if self.participant_id:
            await database_sync_to_async(services.connection_close)(channel_name=self.channel_name)

    # -- who may watch ----------------------------------------------------------------------

    def _authorize(self, code: str) -> bool:
        """Reads the browser's Django session straight from its cookie: the socket only reads
        it, so Channels' session and auth middleware (a wrapper around every frame sent) are
        not needed."""
        session = Session.objects.filter(code=code).first()
        if session is None:
            return False
        self.session_id = session.pk
        if self.role == "board":
            return True
        browser = self._django_session()
        if self.role == "facilitator":
            user = get_user(SimpleNamespace(session=browser))
            self.user = user
            return user.is_authenticated and user.pk == session.facilitator_id
        participant = identity.participant_for(browser, session)
        if participant is None:
            return False
        services.connection_open(participant=participant, channel_name=self.channel_name)
        self.participant_id = participant.pk
        return True

    def _django_session(self):
        cookies = b"; ".join(v for k, v in self.scope.get("headers", ()) if k == b"cookie")
        key = parse_cookie(cookies.decode("latin-1")).get(settings.SESSION_COOKIE_NAME)
        return import_module(settings.SESSION_ENGINE).SessionStore(key)

    def _base_groups(self) -> list[str]:
        if self.role == "board":
            return [groups.board(self.session_id)]
        if self.role == "facilitator":
            return [groups.facilitator(self.session_id)]
        return [
            groups.students(self.session_id),
            groups.participant(self.session_id, self.participant_id),
        ]

    # -- state -------------------------------------------------------------------------------

    def _snapshot(self) -> tuple[str, list[str]]:
        session = Session.objects.select_related("guide", "facilitator").get(pk=self.session_id)
        if self.role == "board":
            return snapshots.for_board(session), []
        if self.role == "facilitator":
            return snapshots.for_facilitator(session), []
        participant = session.participants.get(pk=self.participant_id)
        return snapshots.for_participant(session, participant)

    async def _send_snapshot(self):
        # Groups are joined before the state is read, so no change can fall between the two.
        self._busy = True
        try:
            html, question_groups = await database_sync_to_async(self._snapshot)()
            await self._move_to(question_groups)
            await self.send(text_data=html)
        finally:
            self._busy = False
            self._drain()

    async def _move_to(self, question_groups: list[str]) -> None:
        """Be in exactly these readers/waiting groups (a student is in one of each pair)."""
        prefix = f"session-{self.session_id}-"
        for group in list(self.groups):
            is_question_group = group.startswith((prefix + "readers-", prefix + "waiting-"))
            if is_question_group and group not in question_groups:
                await self.channel_layer.group_discard(group, self.channel_name)
                self.groups.remove(group)
        for group in question_groups:
            if group not in self.groups:
                await self.channel_layer.group_add(group, self.channel_name)
                self.groups.append(group)

    def beat(self, version: int | None) -> None:
        """From seminar.heartbeats: the session's version, so a client whose last frames were
        lost notices within a heartbeat; None means the session is gone."""
        if version is None:
            self.deliver({"type": "ended", "html": ""})
        else:
            self.deliver({"type": "fragment", "html": f"<!--v:{version} hb-->"})

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
        kind = message.get("type")
        if kind == "resync":
            self.deliver(RESYNC)  # in order with the broadcasts, never beside one
        elif kind == "step":
            await self._step(message)
        else:
            await self._error("Unknown message type.")

    async def _step(self, message):
        to = message.get("to")
        if not isinstance(to, (int, str)) or isinstance(to, bool):
            await self._error("A step message needs 'to': next, previous or a step number.")
            return
        try:
            await database_sync_to_async(self._do_step)(to)
        except SessionError as error:
            await self._error(error.message)

    def _do_step(self, to):
        session = Session.objects.select_related("guide").get(pk=self.session_id)
        user = self.user if self.role == "facilitator" else None
        if to == "next":
            services.step_next(session=session, by=user)
        elif to == "previous":
            services.step_previous(session=session, by=user)
        else:
            try:
                index = int(to)
            except ValueError:
                raise SessionError("Unknown step.", code="invalid_step") from None
            services.step_go(session=session, by=user, to=index)

    async def _error(self, text: str):
        await self.send(text_data=json.dumps({"error": text}))

    # -- from the channel layer ----------------------------------------------------------------

    def deliver(self, message: dict) -> None:
        """Called by seminar.layers for every group message to this socket, in the event loop:
        send it now, or after the ones before it."""
        if self._busy or self._sending is not None or self._backlog:
            self._hold(message)
        else:
            self._start(message)

    def _hold(self, message: dict) -> None:
        if self._backlog is None:
            self._backlog = deque()
        elif len(self._backlog) >= BACKLOG_LIMIT:
            log.warning(
                "Socket %s is %d broadcasts behind: dropping its backlog and re-syncing it",
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
        if message["type"] == "fragment":  # nearly every message: straight to the socket
            step = self.base_send({"type": "websocket.send", "text": message["html"]})
        else:
            step = self.dispatch(message)
        task = asyncio.Task(step, loop=self._loop, eager_start=True)
        if task.done():
            self._report(task)
        else:
            self._sending = task
            task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task) -> None:
        self._sending = None
        self._report(task)
        self._drain()

    def _drain(self) -> None:
        while self._backlog and not self._busy and self._sending is None:
            self._start(self._backlog.popleft())

    def _report(self, task: asyncio.Task) -> None:
        error = None if task.cancelled() else task.exception()
        if isinstance(error, OSError):  # the client has gone; its disconnect is on its way
            log.debug("Delivery to %s failed: %r", self.channel_name, error)
        elif error is not None:
            log.warning("Delivery to %s failed: %r", self.channel_name, error)

    async def live_resync(self, event):
        """Asked for by the client, or this socket fell too far behind: start afresh."""
        await self._send_snapshot()

    async def fragment(self, event):
        await self.send(text_data=event["html"])

    async def reveal(self, event):
        """Answer-first lifted for a question: join its readers group, show its answers."""
        if event["group"] not in self.groups:
            await self.channel_layer.group_add(event["group"], self.channel_name)
            self.groups.append(event["group"])
        if event["leave"] in self.groups:
            await self.channel_layer.group_discard(event["leave"], self.channel_name)
            self.groups.remove(event["leave"])
        await self.send(text_data=event["html"])

    async def ended(self, event):
        if event["html"]:
            await self.send(text_data=event["html"])
        await self.close(code=1000)
