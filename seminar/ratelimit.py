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
