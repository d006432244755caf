"""ASGI entry point: HTTP through Django, websockets to the one live consumer.

Websockets pass the origin check first (a page on another site cannot open a socket into a
session), then go by their path (`seminar.routing`). The consumer reads the Django session from
the cookie itself when it connects: Channels' session middleware would wrap every frame the
socket sends for the life of the connection, for a session a socket never writes.

`application` is a plain function that returns the handler's coroutine, instead of a router
that awaits it: every coroutine between the server and the consumer stays on the stack for as
long as a socket is open (a whole lesson), about 300 bytes each. Channels' ProtocolTypeRouter,
an origin check and URLRouter (with its copy of the scope) held about 2 KB per socket, an
eighth of what the bench's reference server holds per socket in all (docs/performance.md).
"""

import inspect
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seminar.settings")
django.setup(set_prefix=False)

from channels.security.websocket import WebsocketDenier  # noqa: E402

from seminar.consumers import LiveConsumer  # noqa: E402
from seminar.origins import socket_allowed  # noqa: E402
from seminar.routing import socket_route  # noqa: E402
from seminar.turns import OneThreadASGIHandler  # noqa: E402

# HTTP requests' sync code on one long-lived thread (seminar/turns.py).
django_asgi_app = OneThreadASGIHandler()


@inspect.markcoroutinefunction  # an ASGI 3 application: servers await what it returns
def application(scope, receive, send):
    kind = scope["type"]
    if kind == "http":
        return django_asgi_app(scope, receive, send)
    if kind == "websocket":
        route = socket_route(scope["path"])
        # The Origin is this very host and port, and an allowed host (seminar/origins.py).
        if route is None or not socket_allowed(scope):
            return WebsocketDenier()(scope, receive, send)
        role, code = route
        return LiveConsumer(role=role, code=code)(scope, receive, send)
    raise ValueError(f"Seminar serves http and websocket connections, not {kind!r}.")
