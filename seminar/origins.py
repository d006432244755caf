"""Websockets are opened only by the app's own pages: same scheme-less origin, port included.

Channels' AllowedHostsOriginValidator compares the Origin's host name with ALLOWED_HOSTS, so a
page served by another program on the same host (another port) passed. Here the Origin's
host and port must be those of the Host the socket connects to, as a page of this site has
(or one of CSRF_TRUSTED_ORIGINS, for a proxy that rewrites the host).
"""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def _netloc(host: str, port: int | None, scheme: str) -> str:
    default = DEFAULT_PORTS.get(scheme)
    return host.lower() if port in (None, default) else f"{host.lower()}:{port}"


def origin_allowed(origin: str, host_header: str, *, secure: bool = False) -> bool:
    try:
        parsed = urlsplit(origin)
        origin_netloc = _netloc(parsed.hostname or "", parsed.port, parsed.scheme)
        host = urlsplit(f"//{host_header}")
        scheme = "https" if secure else "http"
        if parsed.scheme in ("http", "https"):
            scheme = parsed.scheme
        host_netloc = _netloc(host.hostname or "", host.port, scheme)
    except ValueError:  # a malformed port
        return False
    if not parsed.hostname:
        return False
    if origin_netloc == host_netloc:
        return True
    return origin.rstrip("/") in {o.rstrip("/") for o in settings.CSRF_TRUSTED_ORIGINS}


class SameOriginValidator:
    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers", ()))
        origin = headers.get(b"origin", b"").decode("latin-1")
        host = headers.get(b"host", b"").decode("latin-1")
        secure = scope.get("scheme") in ("wss", "https")
        if scope["type"] == "websocket" and not origin_allowed(origin, host, secure=secure):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
