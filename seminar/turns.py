"""HTTP requests' sync code on one long-lived thread, taking turns in arrival order.

Django's ASGI handler gives each request a thread of its own (asgiref's ThreadSensitiveContext)
and, with it, a new database connection. When a whole class posts within seconds, hundreds of
threads then share one interpreter lock and, on SQLite, one write lock: the thread holding the
write lock gets a sliver of the interpreter, threads and connections are made and dropped per
post, and every post takes longer than all of them together (bench/run.py's post-now phase:
POST p50 4.1 s at 100 posts/s). Python runs one thread at a time anyway, so here requests'
sync code runs on asgiref's one thread for thread-sensitive code outside any context (the
documented fallback), with one connection kept open (settings: CONN_MAX_AGE for SQLite; a
pool for PostgreSQL); requests wait on the event loop, which costs nothing, and websockets are
not affected.

The same holds between that thread, the render thread (seminar/ticks.py) and the event loop
sending a tick's frames: every write to a socket releases the interpreter lock, and while
another thread is running Python, taking it back after each write waits for that thread to
be switched out. Measured here (1,000 loopback sockets, 2.7 KB each): 12-17 µs a write alone,
31-73 µs and 0.5-1.7 ms of wall time beside one busy thread; at 1,000 sockets a tick's frames
took most of a second while posts were being handled. So while a large fan-out is under way
(`fan_out`), a request's sync code and a render wait for it before they start
(`AfterTheFanOutMiddleware`, `wait_for_fan_out`): the frames go out in a few tens of
milliseconds and the request starts right after.
"""

import threading
from contextlib import contextmanager

from django.core.handlers.asgi import ASGIHandler


class OneThreadASGIHandler(ASGIHandler):
    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        # Django's own __call__ wraps this in a ThreadSensitiveContext: a new thread per request.
        await self.handle(scope, receive, send)


# A fan-out to fewer sockets than this is quick whatever else runs: nobody waits for it.
FAN_OUT_MIN = 50
# However long a fan-out takes, a request never waits longer than this for it.
MAX_WAIT = 1.0

_quiet = threading.Event()
_quiet.set()
_lock = threading.Lock()
_depth = 0  # fan-outs under way (several event loops may run in one process: tests)


@contextmanager
def fan_out(sockets: int):
    """Around sending one message to `sockets` sockets, on an event loop's thread."""
    global _depth
    if sockets < FAN_OUT_MIN:
        yield
        return
    with _lock:
        _depth += 1
        _quiet.clear()
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if not _depth:
                _quiet.set()


def wait_for_fan_out() -> None:
    """On a thread other than the event loop's: wait until no large fan-out is under way."""
    _quiet.wait(MAX_WAIT)


class AfterTheFanOutMiddleware:
    """A request's sync code starts once a tick's frames are out (see above); outermost, so
    nothing of the request runs beside them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        wait_for_fan_out()
        return self.get_response(request)
