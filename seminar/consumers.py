"""The one websocket consumer: a student's room, the board, or the facilitator's console.

Thin by design: on connect it checks who may watch, joins the audience groups, and sends the
current state; afterwards it forwards pre-rendered fragments and hands the few messages a
client may send to the actions in `seminar.services`.
"""

import asyncio
import json
import logging

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from seminar import groups, identity, services, snapshots
from seminar.errors import SessionError
from seminar.models import Session

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 25
MAX_MESSAGE_BYTES = 4096
# Handlers that only forward HTML: they never touch the database, so they skip Channels'
# per-message `aclose_old_connections()` thread hop (the largest cost of a broadcast).
FORWARDING_TYPES = frozenset({"fragment", "reveal", "ended"})


class LiveConsumer(AsyncWebsocketConsumer):
    role: str  # "participant" | "board" | "facilitator", from the route
    # Until the snapshot is sent (and while a re-sync is), broadcasts queue up behind it.
    _busy = True
    # A direct delivery is still waiting for the client to read (see deliver_now).
    _stalled = False

    async def dispatch(self, message):
        if message["type"] in FORWARDING_TYPES:
            await getattr(self, get_handler_name(message))(message)
        else:
            await super().dispatch(message)

    async def connect(self):
        self.role = self.scope["url_route"]["kwargs"]["role"]
        code = self.scope["url_route"]["kwargs"]["code"].upper()
        viewer = await database_sync_to_async(self._authorize)(code)
        if viewer is None:
            await self.close(code=4403)
            return
        self.session_id, self.participant_id = viewer
        self._loop = asyncio.get_running_loop()
        await self.accept()
        for group in self._base_groups():
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups.append(group)
        await self._send_snapshot()
        attach = getattr(self.channel_layer, "attach", None)
        if attach is not None:  # seminar.layers: idle consumers take broadcasts directly
            attach(self.channel_name, self)
        self.heartbeat = asyncio.create_task(self._heartbeat())

    async def disconnect(self, code):
        task = getattr(self, "heartbeat", None)
        if task:
            task.cancel()
        detach = getattr(self.channel_layer, "detach", None)
        if detach is not None and getattr(self, "channel_name", None):
            detach(self.channel_name)
        if getattr(self, "participant_id", None):
            await database_sync_to_async(services.connection_close)(channel_name=self.channel_name)

    # -- who may watch ----------------------------------------------------------------------

    def _authorize(self, code: str):
        session = Session.objects.filter(code=code).first()
        if session is None:
            return None
        if self.role == "board":
            return session.pk, None
        if self.role == "facilitator":
            user = self.scope.get("user")
            if user is None or not user.is_authenticated or user.pk != session.facilitator_id:
                return None
            return session.pk, None
        participant = identity.participant_for(self.scope["session"], session)
        if participant is None:
            return None
        services.connection_open(participant=participant, channel_name=self.channel_name)
        return session.pk, participant.pk

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

    def _beat(self) -> int | None:
        if self.participant_id:
            services.connection_heartbeat(channel_name=self.channel_name)
        return Session.objects.filter(pk=self.session_id).values_list("version", flat=True).first()

    async def _heartbeat(self):
        """Keeps presence fresh and tells the client the current version, so a client whose
        last frames were lost notices within a heartbeat, and a dead link is noticed by both."""
        try:
            while True:
                await asyncio.sleep(HEARTBEAT_SECONDS)
                version = await database_sync_to_async(self._beat)()
                if version is None:
                    await self.close(code=1000)
                    return
                await self.send(text_data=f"<!--v:{version} hb-->")
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("Heartbeat failed for %s", self.channel_name)

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
            await self._send_snapshot()
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
        user = self.scope.get("user") if self.role == "facilitator" else None
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

    async def deliver_now(self, message) -> bool:
        """Called by seminar.layers for a broadcast when this consumer's queue is empty: forward
        it now (one call instead of a queue and a task wake-up), unless a snapshot is being
        read or sent, or it needs the database; False means "queue it"."""
        if self._busy or self._stalled or message["type"] not in FORWARDING_TYPES:
            return False
        if asyncio.get_running_loop() is not self._loop:
            return False  # sent from another event loop (a test's sync code): queue it
        # Started eagerly: the frame is written to the socket before this returns, so frames
        # keep their order. A client that stops reading makes the server's write wait for
        # room in its buffer; that wait happens in the task, never in the layer's loop over
        # the group, so one stuck laptop cannot hold back the class. Until it clears, this
        # socket's messages queue (and a queue that fills up is re-synced by the layer).
        handler = getattr(self, get_handler_name(message))
        task = asyncio.Task(handler(message), loop=self._loop, eager_start=True)
        if not task.done():
            self._stalled = True
            task.add_done_callback(self._unstall)
        return True

    def _unstall(self, task):
        self._stalled = False
        if not task.cancelled() and task.exception() is not None:
            log.warning("Delivery to %s failed: %r", self.channel_name, task.exception())

    async def live_resync(self, event):
        """The layer dropped this socket's backlog (it fell too far behind): start afresh."""
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
        await self.send(text_data=event["html"])
        await self.close(code=1000)
