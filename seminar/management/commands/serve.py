"""Serve the app: the one place that says how (used by `make run`, the tests and the bench).

uvicorn rather than Daphne: on the fan-out benchmark (docs/performance.md) it delivered the
same broadcasts to 1,000 sockets at about half the CPU per frame and a fifth of the latency,
because Twisted re-arms epoll on every write and asyncio's transports write at once.
"""

import gc
import os

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Seminar (HTTP and websockets) with uvicorn."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--ping-interval",
            type=float,
            default=20.0,
            help="seconds between websocket pings; a client that cannot answer is dropped",
        )
        parser.add_argument("--ping-timeout", type=float, default=20.0)
        parser.add_argument("--access-log", action="store_true", help="log every request")

    def handle(self, *args, host, port, ping_interval, ping_timeout, access_log, **options):
        # X-Forwarded-For and friends are believed only behind a proxy the operator named
        # (TRUSTED_PROXY_HEADER); uvicorn would otherwise trust them from loopback.
        behind_proxy = bool(settings.TRUSTED_PROXY_HEADER)
        from seminar.asgi import application

        calm_collector()
        uvicorn.run(
            application,
            host=host,
            port=port,
            lifespan="off",  # Channels' router speaks http and websocket only
            # Deflate doubles memory per socket for frames of a few hundred bytes.
            # websockets' Sans-I/O core driven from the protocol: no tasks, queues or
            # buffers of its own per socket (a third less memory per socket than "websockets").
            ws="websockets-sansio",
            ws_per_message_deflate=False,
            ws_ping_interval=ping_interval,
            ws_ping_timeout=ping_timeout,
            ws_max_size=64 * 1024,
            access_log=access_log,
            log_level="info",
            # A whole class connecting at once must not be turned away.
            backlog=4096,
            proxy_headers=behind_proxy,
            forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
            if behind_proxy
            else "",
        )


def calm_collector() -> None:
    """Keep the cyclic garbage collector's pauses off the live path. Measured at 1,000
    sockets (docs/performance.md): its full collections paused the server for 64 to 137 ms
    each, walking every object Django, the templates and the sockets hold, and made most of the
    steady phase's p99. What the app loaded before serving is frozen (never walked again), and
    young objects are collected less often: a tick's and a request's garbage is mostly freed
    by reference counting anyway."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG, 20, 20)


# Allocations between two young collections (Python's default is 700, about one ORM query's).
GC_YOUNG = 20_000
