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
"""

from django.core.handlers.asgi import ASGIHandler


class OneThreadASGIHandler(ASGIHandler):
    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        # Django's own __call__ wraps this in a ThreadSensitiveContext: a new thread per request.
        await self.handle(scope, receive, send)
