"""Websocket clients for tests: the real ASGI app, with a browser's cookies and origin."""

import json

from channels.testing import WebsocketCommunicator
from django.conf import settings

from seminar.asgi import application

ORIGIN = (b"origin", b"http://127.0.0.1")


def cookie_header(client) -> tuple[bytes, bytes]:
    """The Cookie header of a Django test client (its session, hence who it is)."""
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    value = f"{settings.SESSION_COOKIE_NAME}={cookie.value}" if cookie else ""
    return (b"cookie", value.encode())


def communicator(path: str, client=None, origin=ORIGIN) -> WebsocketCommunicator:
    headers = [(b"host", b"127.0.0.1")]
    if origin:
        headers.append(origin)
    if client is not None:
        headers.append(cookie_header(client))
    return WebsocketCommunicator(application, path, headers=headers)


async def receive_until(comm: WebsocketCommunicator, needle: str, timeout: float = 3) -> str:
    """Frames until one contains `needle`; returns that frame."""
    while True:
        frame = await comm.receive_from(timeout=timeout)
        if needle in frame:
            return frame


async def closed_with_reason(comm: WebsocketCommunicator, reason: str) -> list[str]:
    """Every frame a socket got until it was closed with 4403 (live.js: "Not allowed"); one of
    them must have said why, `reason`."""
    seen = []
    while True:
        out = await comm.receive_output(timeout=3)
        if out["type"] == "websocket.close":
            assert out["code"] == 4403
            break
        seen.append(out["text"])
    errors = [json.loads(t)["error"] for t in seen if t.startswith("{")]
    assert any(reason in e for e in errors), errors
    return seen
