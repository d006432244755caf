"""The reference: a raw `websockets` broadcast server, no framework, no database.

    python bench/reference.py PORT

Websocket clients connect to ws://127.0.0.1:PORT/ws/… (any path); `POST /post` on the same
port (plain HTTP, served by the websockets handshake hook) with a form body `text=…` is
broadcast to every socket as a ~300-byte fragment shaped like the app's answer fragment.
It is the floor the app is measured against: the same clients, the same machine.
"""

import asyncio
import html
import itertools
import sys
import urllib.parse

from websockets.asyncio.server import broadcast, serve

CLIENTS: set = set()
COUNTER = itertools.count(1)


def fragment(pk: int, text: str) -> str:
    return (
        f'<!--v:{pk}--><div hx-swap-oob="beforeend:#answers-1"><li id="answer-{pk}" class="answer" '
        f'data-created="2025-01-01T00:00:00"><div class="answer-body" id="answer-body-{pk}">'
        f'<p>{html.escape(text)}</p></div><footer><span class="who">Student</span>'
        f'<span class="votes" data-votes="0">0</span></footer></li></div>'
    )


async def handler(ws):
    CLIENTS.add(ws)
    try:
        await ws.send("<!--v:0 snapshot-->")
        async for _ in ws:
            pass
    finally:
        CLIENTS.discard(ws)


async def http_post(reader, writer):
    """POST /post over a plain socket (one request per connection, like the bench's poster)."""
    try:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return  # a readiness probe
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        body = await reader.readexactly(length)
        text = urllib.parse.parse_qs(body.decode()).get("text", [""])[0]
        pk = next(COUNTER)
        broadcast(CLIENTS, fragment(pk, text))
        writer.write(
            b"HTTP/1.1 302 Found\r\nLocation: /\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        await writer.drain()
    finally:
        writer.close()


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, compression=None, max_queue=None):
        server = await asyncio.start_server(http_post, "127.0.0.1", port + 1)
        async with server:
            print("ready", flush=True)
            await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
