"""The embedded channel layer: Channels' in-memory layer, made fit for a room of 1,000 sockets.

Measured with bench/run.py (see docs/performance.md), the stock `InMemoryChannelLayer` spends
most of a broadcast on bookkeeping, not on sending: `group_send` deep-copies the message and
creates a task per member, and every `receive` and `group_send` walks every channel to expire
old messages (O(sockets) per message, O(sockets²) per broadcast). And a full channel is
dropped silently. This layer:

- delivers a group message to a consumer that is idle *directly* (one call, no queue, no
  task wake-up), through the consumer's `deliver_now` (see seminar/consumers.py); anything
  else is queued as before, and a consumer with queued messages gets new ones queued behind
  them, so each socket sees every group's messages in order;
- shares one message object between members (handlers only read it) instead of copying;
- expires old messages at most once a second instead of on every call;
- never drops quietly: a full channel is logged, its stale backlog is discarded and replaced
  by one `live.resync` message, on which the consumer sends a fresh snapshot.
"""

import asyncio
import logging
import time

from channels.layers import InMemoryChannelLayer

log = logging.getLogger(__name__)

RESYNC = {"type": "live.resync"}


class SeminarChannelLayer(InMemoryChannelLayer):
    clean_interval = 1.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._cleaned_at = 0.0
        self._direct: dict[str, object] = {}  # channel name -> consumer that can take messages now

    # -- consumers that take messages directly ------------------------------------------------

    def attach(self, channel: str, consumer) -> None:
        """`consumer.deliver_now(message)` is tried before queueing messages for `channel`."""
        self._direct[channel] = consumer

    def detach(self, channel: str) -> None:
        self._direct.pop(channel, None)

    # -- cheaper bookkeeping ---------------------------------------------------------------------

    def _clean_expired(self):
        now = time.monotonic()
        if now - self._cleaned_at < self.clean_interval:
            return
        self._cleaned_at = now
        super()._clean_expired()

    async def flush(self):
        await super().flush()
        self._direct = {}

    # -- sending ---------------------------------------------------------------------------------

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

    async def group_send(self, group, message):
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        members = self.groups.get(group)
        if not members:
            return
        item = (time.time() + self.expiry, message)
        for channel in list(members):
            queue = self.channels.get(channel)
            consumer = self._direct.get(channel)
            if consumer is not None and (queue is None or queue.empty()):
                try:
                    if await consumer.deliver_now(message):
                        continue
                except Exception:
                    log.exception("Direct delivery to %s failed; queueing instead", channel)
            self._enqueue(channel, item)
