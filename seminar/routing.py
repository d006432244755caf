"""Where a websocket goes: its path names the session (its code) and the screen (its role).

    /ws/s/<code>/                   a student's room          participant
    /ws/s/<code>/board/             the projector             board
    /ws/facilitate/<code>/          the facilitator's console  facilitator
    /ws/facilitate/<code>/moderate/ a moderator's phone       moderator

A function, not a router: seminar/asgi.py calls it and hands the socket to its consumer
directly (why, there).
"""

import re

ROUTE = re.compile(r"/ws/(?P<place>s|facilitate)/(?P<code>[^/]+)/(?P<screen>board/|moderate/)?")
ROLES = {
    ("s", None): "participant",
    ("s", "board/"): "board",
    ("facilitate", None): "facilitator",
    ("facilitate", "moderate/"): "moderator",
}


def socket_route(path: str) -> tuple[str, str] | None:
    """(role, session code) for a websocket's path, or None if no screen lives there."""
    match = ROUTE.fullmatch(path)
    if match is None:
        return None
    role = ROLES.get((match["place"], match["screen"]))
    return (role, match["code"]) if role else None
