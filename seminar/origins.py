"""Websockets are opened only by the app's own pages: same scheme-less origin, port included.

Channels' AllowedHostsOriginValidator compares the Origin's host name with ALLOWED_HOSTS, so a
page served by another program on the same host (another port) passed. Here the Origin's
host and port must be those of the Host the socket connects to, as a page of this site has
(or one of CSRF_TRUSTED_ORIGINS, for a proxy that rewrites the host), and, as Channels'
validator asks, that host must be one of ALLOWED_HOSTS.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import validate_host

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


def _allowed_hosts() -> list[str]:
    # As Django's own host check: in DEBUG with ALLOWED_HOSTS empty, the local names.
    if settings.DEBUG and not settings.ALLOWED_HOSTS:
        return [".localhost", "127.0.0.1", "[::1]"]
    return settings.ALLOWED_HOSTS


def socket_allowed(scope) -> bool:
    """A websocket may open: its Origin is the host it connects to (or a trusted origin),
    and that host's name is one of ALLOWED_HOSTS."""
    origin = host = ""
    for name, value in scope.get("headers", ()):
        if name == b"origin":
            origin = value.decode("latin-1")
        elif name == b"host":
            host = value.decode("latin-1")
    secure = scope.get("scheme") in ("wss", "https")
    if not origin_allowed(origin, host, secure=secure):
        return False
    try:
        hostname = urlsplit(origin).hostname or ""
    except ValueError:
        return False
    return validate_host(hostname, _allowed_hosts())
