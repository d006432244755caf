"""What one socket makes of its session's ordered stream: its audiences, and the frame order.

Used by the websocket consumer (seminar/consumers.py) and, unchanged, by the model-based test
that proves a live screen equals a reload (tests/test_convergence.py).

Each process renders its sessions' changes once per tick (seminar/ticks.py) into one message
that brings a socket from version `from - 1` to `version` (seminar/screens.py `message`).
Every region in it is rendered whole from a state at least that new, so a socket anywhere in
`from - 1 .. version - 1` may apply it. A `SocketView`:
- keeps the facts that decide which audiences it is in (a student's readers/waiting groups),
  updated by the messages themselves, so audiences change exactly in stream order;
- passes messages on strictly in version order: older ones are dropped, one that starts
  after a gap is held until the gap fills; `gap` tells the consumer to re-sync if it does
  not fill in time;
- turns a message into one frame: `<!--v:FROM-TO-->` (or `<!--v:N-->` for one version) and
  the parts of its audiences; a `refresh` (panels the ticks held back, seminar/ticks.py)
  becomes `<!--v:N refresh-->` for a socket at version N, and nothing for any other. The
  text for each set of shared audiences is joined once per message and reused by every
  socket in it, so a tick costs a dictionary lookup per socket.
"""

from seminar import audiences
from seminar.audiences import BOARD, FACILITATOR, MODERATOR, Facts

# How long a message that arrived after a gap waits for the missing ones before a re-sync.
GAP_SECONDS = 1.0


def span(message: dict) -> tuple[int, int]:
    """The versions a message covers."""
    return message.get("from", message["version"]), message["version"]


def mark(first: int, last: int) -> str:
    return f"<!--v:{last}-->" if first == last else f"<!--v:{first}-{last}-->"


class Frame(str):
    """A frame's text and its UTF-8 bytes, made once for every socket that sends it. An ASGI
    server is handed text and encodes it for each socket it writes to; at 1,000 sockets that
    was a twentieth of a process's time, encoding the same few kilobytes again and again."""

    def __new__(cls, text: str):
        frame = super().__new__(cls, text)
        frame.utf8 = str.encode(frame)
        return frame

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
            return self.utf8
        return str.encode(self, encoding, errors)


# Equal values many sockets hold (a class has a handful of distinct facts, answered sets and
# audience sets between hundreds of sockets) are held once.
_SHARED: dict = {}
_SHARED_LIMIT = 10_000


def _shared(value):
    if len(_SHARED) >= _SHARED_LIMIT:
        _SHARED.clear()
    return _SHARED.setdefault(value, value)


class SocketView:
    __slots__ = (
        "role",
        "participant_id",
        "own",
        "version",
        "facts",
        "answered",
        "held",
        "audiences",
    )

    def __init__(self, role: str, participant_id: int | None = None):
        self.role = role
        self.participant_id = participant_id
        self.own = audiences.participant(participant_id) if participant_id else None
        self.version: int | None = None  # none until the snapshot
        self.facts: Facts | None = None
        self.answered: frozenset[int] = frozenset()
        self.held: dict[int, dict] = {}  # first version -> message
        self.audiences = self._audiences()

    def _audiences(self) -> frozenset[str]:
        if self.role == "board":
            return frozenset({BOARD})
        if self.role == "facilitator":
            return frozenset({FACILITATOR})
        if self.role == "moderator":
            return frozenset({MODERATOR})
        if self.facts is None:
            return frozenset()
        # Without their own: that part of the text is shared with every socket like this one.
        return _shared(
            audiences.of_student(self.participant_id, self.facts, self.answered) - {self.own}
        )

    def reset(self, snapshot: dict) -> None:
        """A snapshot was sent: the stream continues after its version."""
        self.version = snapshot["version"]
        if self.role == "participant":
            self.facts = _shared(snapshot["facts"])
            self.answered = _shared(frozenset(snapshot["answered"]))
        self.held = {k: m for k, m in self.held.items() if m["version"] > self.version}
        self.audiences = self._audiences()

    @property
    def gap(self) -> bool:
        """Messages are held behind a missing one."""
        return bool(self.held)

    def take(self, message: dict) -> str:
        """The frames this message releases (several, if it filled a gap), as one string."""
        first, last = span(message)
        if message.get("refresh"):
            # Panels held back by the ticks up to `last`, rendered since: for a socket at
            # exactly `last` (one anywhere else is being re-synced, whole), and only if any of
            # it is for this socket.
            if self.version != last or self.held:
                return ""
            return self._framed(f"<!--v:{last} refresh-->", message, empty="")
        if self.version is None or last <= self.version:
            return ""
        if first > self.version + 1:
            self.held[first] = message
            return ""
        frames = [self._frame(message)]
        while self.held:
            ready = [k for k in self.held if k <= self.version + 1]
            if not ready:
                break
            for k in sorted(ready):
                held = self.held.pop(k)
                if held["version"] > self.version:
                    frames.append(self._frame(held))
        return frames[0] if len(frames) == 1 else "".join(frames)

    def _frame(self, message: dict) -> str:
        first, last = span(message)
        self.version = last
        if self.role == "participant":
            changed = False
            if message.get("facts") is not None:
                self.facts = _shared(Facts.from_message(message["facts"]))
                changed = True
            answered = (message.get("answered") or {}).get(str(self.participant_id))
            if answered is not None:
                self.answered = _shared(frozenset(answered))
                changed = True
            if changed:
                self.audiences = self._audiences()
        return self._framed(mark(first, last), message)

    def _framed(self, head: str, message: dict, *, empty: str | None = None) -> str:
        """`head` and the parts of `message` for this socket's audiences; `empty` instead
        when there are none. The same text for every socket of the same audiences is one
        `Frame` (a student's own parts make theirs their own)."""
        texts = _texts(message)
        own = texts.own.get(self.own, "") if self.own else ""
        if own:
            return head + self._shared(texts) + own
        frame = texts.frames.get((head, self.audiences))
        if frame is None:
            shared = self._shared(texts)
            frame = empty if (empty is not None and not shared) else Frame(head + shared)
            texts.frames[(head, self.audiences)] = frame
        return frame

    def _shared(self, texts: "_Texts") -> str:
        shared = texts.shared.get(self.audiences)
        if shared is None:
            shared = texts.shared[self.audiences] = "".join(
                html for audience, html in texts.parts if audience in self.audiences
            )
        return shared


class _Texts:
    """A message's parts, split once: shared ones (joined per set of audiences, on demand) and
    each student's own."""

    __slots__ = ("parts", "own", "shared", "frames")

    def __init__(self, message: dict):
        self.parts: list[tuple[str, str]] = []
        own: dict[str, list[str]] = {}
        for audience, html in message["parts"]:
            if isinstance(audience, str) and not audiences.is_participant(audience):
                self.parts.append((audience, html))
            else:
                for member in [audience] if isinstance(audience, str) else audience:
                    own.setdefault(member, []).append(html)
        self.own = {member: "".join(htmls) for member, htmls in own.items()}
        self.shared: dict[frozenset[str], str] = {}
        self.frames: dict[tuple[str, frozenset[str]], str] = {}  # (head, audiences) -> Frame


def _texts(message: dict) -> _Texts:
    # Kept on the message: one process renders it and every socket of the process reads it.
    texts = message.get("_texts")
    if texts is None:
        texts = message["_texts"] = _Texts(message)
    return texts
