"""Bench websocket clients: one asyncio process holding many sockets.

    python bench/clients.py SPEC.json

SPEC: {"sockets": [{"url": "ws://…", "headers": {"Cookie": …, "Origin": …}, "board": bool}, …]}.
Connects every socket (a bounded number at a time), prints `connected N FAILED`, then records,
for every socket, the first arrival time (time.time()) of every bench answer it sees (answers
carry `bench-<k>-x` in their text), and frame counts per 100 ms. On `stop` on stdin (or after
`max_seconds`) it closes the sockets and prints one JSON line with what it saw.
"""

import asyncio
import json
import re
import sys
import time
from collections import Counter

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.uri import parse_uri

KEY = re.compile(rb"bench-(\d+)-x")
CONNECT_CONCURRENCY = 20


class Socket(asyncio.Protocol):
    """One websocket client, as lean as it can be: the clients share the machine with the
    server they measure, so no task, queue or wake-up per frame (websockets' Sans-I/O core,
    driven straight from `data_received`). The protocol is the browser's: the same handshake,
    cookies and origin, pings answered."""

    def __init__(self, url: str, headers: dict, on_frame, on_close):
        self.ws = ClientProtocol(parse_uri(url), max_size=2**24)
        self.headers, self.on_frame, self.on_close = headers, on_frame, on_close
        self.opened = asyncio.get_running_loop().create_future()
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        request = self.ws.connect()
        for name, value in self.headers.items():
            request.headers[name] = value
        self.ws.send_request(request)
        self._flush()

    def data_received(self, data):
        self.ws.receive_data(data)
        for event in self.ws.events_received():
            if isinstance(event, Frame):
                if event.opcode is Opcode.TEXT:
                    self.on_frame(event.data)
            elif isinstance(event, Response) and not self.opened.done():
                if event.status_code == 101 and self.ws.handshake_exc is None:
                    self.opened.set_result(None)
                else:
                    self.opened.set_exception(ConnectionError(f"HTTP {event.status_code}"))
        self._flush()  # pongs, and the closing handshake

    def _flush(self):
        data = self.ws.data_to_send()
        if data and self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"".join(d for d in data if d))

    def connection_lost(self, exc):
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed during the handshake"))
        self.on_close(self.ws.close_code)

    def close(self):
        if self.transport is not None and not self.transport.is_closing():
            if self.ws.state is State.OPEN:
                self.ws.send_close(1000)  # a clean goodbye, as a browser tab says it
                self._flush()
            self.transport.close()


async def main(spec: dict) -> None:
    n = len(spec["sockets"])
    seen: list[dict[int, float]] = [{} for _ in range(n)]
    frames = Counter()
    snapshots = [0] * n
    closed = [None] * n
    sockets = [None] * n
    sem = asyncio.Semaphore(CONNECT_CONCURRENCY)
    first_frame = [asyncio.Event() for _ in range(n)]
    loop = asyncio.get_running_loop()

    def reader(i):
        mine = seen[i]

        def on_frame(frame: bytes):
            now = time.time()
            frames[int(now * 10)] += 1
            if frame.startswith(b"<!--v:") and b" snapshot-->" in frame[:40]:
                snapshots[i] += 1
                first_frame[i].set()
            for k in KEY.findall(frame):
                k = int(k)
                if k not in mine:
                    mine[k] = now

        def on_close(code):
            if closed[i] is None:
                closed[i] = f"closed {code}"

        return on_frame, on_close

    async def open_one(i, s):
        async with sem:
            url = s["url"]
            host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
            try:
                _, sock = await loop.create_connection(
                    lambda: Socket(url, s["headers"], *reader(i)), host, int(port)
                )
                await asyncio.wait_for(sock.opened, 60)
            except Exception as error:  # noqa: BLE001
                closed[i] = f"connect failed: {error!r}"
                first_frame[i].set()
                return
            sockets[i] = sock
            try:
                await asyncio.wait_for(first_frame[i].wait(), 60)
            except TimeoutError:
                closed[i] = "no snapshot"

    await asyncio.gather(*(open_one(i, s) for i, s in enumerate(spec["sockets"])))
    failed = sum(1 for c in closed if c)
    boards = sum(
        1 for s, c in zip(spec["sockets"], closed, strict=True) if s.get("board") and not c
    )
    print(f"connected {n - failed} {failed}", flush=True)

    stop = loop.create_future()

    def on_stdin():
        line = sys.stdin.readline()
        if (not line or line.strip() == "stop") and not stop.done():
            stop.set_result(None)

    loop.add_reader(sys.stdin.fileno(), on_stdin)
    try:
        await asyncio.wait_for(stop, spec.get("max_seconds", 600))
    except TimeoutError:
        pass
    for i, sock in enumerate(sockets):
        if sock is not None:
            if closed[i] is None:
                closed[i] = "closed by the client"
            sock.close()
    arrivals: dict[int, list[float]] = {}
    for i in range(n):
        for k, t in seen[i].items():
            arrivals.setdefault(k, []).append(round(t, 4))
    print(
        json.dumps(
            {
                "sockets": n,
                "failed": failed,
                "boards": boards,
                "errors": Counter(
                    c for c in closed if c and not c.startswith("closed")
                ).most_common(5),
                "extra_snapshots": sum(max(0, s - 1) for s in snapshots),
                "arrivals": arrivals,
                "frames": frames,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    try:  # the clients share the machine with the server: spend as little of it as possible
        import uvloop
    except ImportError:
        asyncio.run(main(spec))
    else:
        asyncio.run(main(spec), loop_factory=uvloop.new_event_loop)
