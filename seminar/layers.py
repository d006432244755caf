"""Channel layers that hand group messages to this process's sockets directly.

Measured with bench/run.py (docs/performance.md), a stock layer spends most of a broadcast
on bookkeeping, not on sending: a queue and a waiting task per socket, a task wake-up per
socket per message, and in the in-memory layer a deep copy and an expiry walk over every
channel per message (and a full channel is dropped silently). Here:

- a consumer *attaches* to its channel, and a group message for it is handed to its
  `deliver(message)` (seminar/consumers.py), which sends it at once or keeps it, in order, in
  its own bounded backlog; no queue or task per socket exists at all;
- one message object is shared by every member (handlers only read it);
- with Redis, each process subscribes once per group, and a group message is deserialised
  once per process, not once per socket;
- a session's changes go to its `Ticker` (seminar/ticks.py), which renders them once per
  tick for every socket of the session in this process;
- a channel nobody attached to (another kind of consumer) still gets Channels' queue, and a
  full one is logged and told to re-sync (`live.resync`), never dropped quietly.

`SeminarChannelLayer` is the embedded default (one process); `SeminarRedisChannelLayer` is
the scale-out layer (several processes, `REDIS_URL`).
"""

import asyncio
import logging
import time

from channels.layers import InMemoryChannelLayer
from channels_redis.pubsub import (
    RedisPubSubChannelLayer,
    RedisPubSubLoopLayer,
    RedisSingleShardConnection,
)
from channels_redis.utils import _wrap_close

from seminar import audiences, turns
from seminar.ticks import Ticker

log = logging.getLogger(__name__)

RESYNC = {"type": "live.resync"}

# A consumer's role (seminar/consumers.py), and the audience its screen is rendered for.
AUDIENCE_OF_ROLE = {
    "participant": audiences.STUDENTS,
    "board": audiences.BOARD,
    "facilitator": audiences.FACILITATOR,
    "moderator": audiences.MODERATOR,
}


class DirectDelivery:
    """The part both layers share: which channels belong to a consumer in this process."""

    def _init_direct(self) -> None:
        self._direct: dict[str, object] = {}  # channel name -> consumer
        self._tickers: dict[str, Ticker] = {}  # group -> its changes, rendered per tick

    def attach(self, channel: str, consumer) -> None:
        """From now on `consumer.deliver(message)` gets every message for `channel`."""
        self._direct[channel] = consumer

    def detach(self, channel: str) -> None:
        self._direct.pop(channel, None)

    def ticker(self, group: str) -> Ticker | None:
        return self._tickers.get(group)

    def _members(self, group: str) -> list[str]:
        # Both layers keep `groups`: group -> its channels in this process.
        return list(self.groups.get(group, ()))

    def _fan_out(self, group: str, members, message: dict, enqueue) -> None:
        if message.get("type") == "change" and "parts" not in message:
            self._tick(group, members, message, enqueue)
            return
        self._deliver(members, message, enqueue)

    def _tick(self, group: str, members, message: dict, enqueue) -> None:
        """A change: to the group's ticker, which renders it for the sockets attached here."""
        direct = self._direct
        loop = None
        for channel in list(members):
            consumer = direct.get(channel)
            if consumer is None:
                enqueue(channel)
            elif loop is None:
                loop = consumer._loop
        if loop is None:
            return  # no socket of this session here: nothing to render
        ticker = self._tickers.get(group)
        if ticker is None or ticker.loop is not loop:
            session_id = int(group.rsplit("-", 1)[1])
            ticker = self._tickers[group] = Ticker(
                session_id,
                loop,
                lambda rendered: self._rendered(group, rendered),
                here=lambda: self._audiences_here(group),
            )
        try:
            here = asyncio.get_running_loop() is loop
        except RuntimeError:
            here = False
        if here:
            ticker.take(message)
        else:  # published from another loop (a test's, a command's): the ticker's is the one
            loop.call_soon_threadsafe(ticker.take, message)

    def _audiences_here(self, group: str) -> frozenset[str]:
        """Who the group's sockets in this process are (a tick renders only for them): a
        dictionary lookup per socket, once per tick."""
        direct = self._direct
        roles = {getattr(direct.get(c), "role", None) for c in self._members(group)}
        return frozenset(AUDIENCE_OF_ROLE[r] for r in roles if r in AUDIENCE_OF_ROLE)

    def _rendered(self, group: str, message: dict) -> None:
        members = [c for c in self._members(group) if c in self._direct]
        if not members:
            ticker = self._tickers.get(group)
            if ticker is not None and ticker.idle:
                del self._tickers[group]
            return
        self._deliver(members, message, lambda channel: None)

    def _deliver(self, members, message: dict, enqueue) -> None:
        direct = self._direct
        members = list(members)
        with turns.fan_out(len(members)):
            for channel in members:
                consumer = direct.get(channel)
                if consumer is None:
                    enqueue(channel)
                    continue
                try:
                    consumer.deliver(message)
                except Exception:
                    log.exception("Delivery to %s failed", channel)


class SeminarChannelLayer(DirectDelivery, InMemoryChannelLayer):
    clean_interval = 1.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_direct()
        self._cleaned_at = 0.0

    def _clean_expired(self):
        # Stock: a walk over every channel on every send and receive. Once a second will do.
        now = time.monotonic()
        if now - self._cleaned_at < self.clean_interval:
            return
        self._cleaned_at = now
        super()._clean_expired()

    async def flush(self):
        await super().flush()
        self._direct = {}
        self._tickers = {}

    def _enqueue(self, channel: str, item) -> None:
        queue = self.channels.get(channel)
        if queue is None:
            queue = self.channels[channel] = asyncio.Queue(maxsize=self.get_capacity(channel))
        try:
            queue.put_nowait(item)
        except asyncio.QueueFull:
            log.warning(
                "Channel %s is full (%d messages): dropping its backlog and telling it to re-sync",
                channel,
                queue.qsize(),
            )
            while not queue.empty():
                queue.get_nowait()
            queue.put_nowait((time.time() + self.expiry, RESYNC))

    async def send(self, channel, message):
        consumer = self._direct.get(channel)
        if consumer is None:
            await super().send(channel, message)
        else:
            consumer.deliver(message)

    async def group_send(self, group, message):
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        members = self.groups.get(group)
        if members:
            item = (time.time() + self.expiry, message)
            self._fan_out(group, members, message, lambda channel: self._enqueue(channel, item))


class _DirectShard(RedisSingleShardConnection):
    def _receive_message(self, message):
        if message is not None:
            name = message["channel"]
            if isinstance(name, bytes):
                name = name.decode()
            if self.channel_layer.take(name, message["data"]):
                return
        super()._receive_message(message)


class _DirectLoopLayer(DirectDelivery, RedisPubSubLoopLayer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_direct()
        self._shards = [_DirectShard(shard.host, self) for shard in self._shards]

    def take(self, name: str, data: bytes) -> bool:
        """A message from Redis: True if it was for this process's attached consumers."""
        members = self.groups.get(name)
        if members is None:
            consumer = self._direct.get(name)
            if consumer is None:
                return False
            consumer.deliver(self.channel_layer.deserialize(data))
            return True
        message = self.channel_layer.deserialize(data)  # once per process, not per socket
        self._fan_out(name, members, message, lambda channel: self._queue(channel, data))
        return True

    def _queue(self, channel: str, data: bytes) -> None:
        queue = self.channels.get(channel)
        if queue is not None:  # else it has just gone
            queue.put_nowait(data)


class SeminarRedisChannelLayer(RedisPubSubChannelLayer):
    """channels-redis' pub/sub layer, delivering to this process's sockets directly."""

    def _get_layer(self):
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = _DirectLoopLayer(
                *self._args, **self._kwargs, channel_layer=self
            )
            _wrap_close(self, loop)
        return layer
