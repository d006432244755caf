"""ASGI entry point: HTTP through Django, websockets through Channels.

Websockets pass the origin check first (a page on another site cannot open a socket into a
session), then the routes in `seminar.routing`. The consumer reads the Django session from
the cookie itself when it connects: Channels' session middleware would wrap every frame the
socket sends for the life of the connection, for a session a socket never writes.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seminar.settings")
django.setup(set_prefix=False)

from seminar.turns import OneThreadASGIHandler  # noqa: E402

# HTTP requests' sync code on one long-lived thread (seminar/turns.py).
django_asgi_app = OneThreadASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from seminar.origins import SameOriginValidator  # noqa: E402
from seminar.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # The Origin is this very host and port, and an allowed host (seminar/origins.py).
        "websocket": SameOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)
