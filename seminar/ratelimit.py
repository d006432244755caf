"""Fixed-window rate limits in the cache (shared by all workers when Redis is configured)."""

import logging
import time

from django.conf import settings
from django.core.cache import cache

from seminar.errors import SessionError

log = logging.getLogger(__name__)


def client_address(request) -> str:
    """The client's address. Behind a proxy, set TRUSTED_PROXY_HEADER (e.g. X-Forwarded-For)."""
    header = getattr(settings, "TRUSTED_PROXY_HEADER", "")
    if header:
        forwarded = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "unknown")


def client_of_scope(scope) -> str:
    """The client's address for a websocket, by the same rule as `client_address`."""
    header = getattr(settings, "TRUSTED_PROXY_HEADER", "")
    if header:
        wanted = header.lower().encode("latin-1")
        for name, value in scope.get("headers", ()):
            if name == wanted and value:
                return value.decode("latin-1").split(",")[0].strip()
    client = scope.get("client")
    return client[0] if client else "unknown"


def over(scope: str, key: str, *, limit: int, window: int = 60) -> bool:
    """Whether `key` already used up `limit` in this window (counts nothing)."""
    try:
        count = cache.get(f"rl:{scope}:{key}:{int(time.time() // window)}") or 0
    except Exception:  # the cache is down: fail open, as `check` does
        log.exception("Rate limit %s not read: the cache is unavailable", scope)
        return False
    return count >= limit


def check(scope: str, key: str, *, limit: int, window: int = 60, message: str) -> None:
    """Count one attempt; raise SessionError(code="rate_limited") past `limit` per `window` s."""
    bucket = f"rl:{scope}:{key}:{int(time.time() // window)}"
    try:
        if cache.add(bucket, 1, timeout=window + 1):
            count = 1
        else:
            try:
                count = cache.incr(bucket)
            except ValueError:  # expired between add and incr
                cache.add(bucket, 1, timeout=window + 1)
                count = 1
    except Exception:  # the cache (Redis) is down: let the class carry on, unlimited for now
        log.exception("Rate limit %s not checked: the cache is unavailable", scope)
        return
    if count > limit:
        raise SessionError(message, code="rate_limited")
