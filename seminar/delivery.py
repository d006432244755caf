"""What one socket makes of its session's ordered stream: its audiences, and the frame order.

Used by the websocket consumer (seminar/consumers.py) and, unchanged, by the model-based test
that proves a live screen equals a reload (tests/test_convergence.py).

Every change is one message to every socket of its session (seminar/screens.py `message`),
labelled with the version its transaction gave the session. A `SocketView`:
- keeps the facts that decide which audiences it is in (a student's readers/waiting groups),
  updated by the messages themselves, so audiences change exactly in stream order;
- passes messages on strictly in version order: older ones are dropped, one that arrives
  after a gap (several threads or workers commit concurrently) is held until the gap fills;
  `gap` tells the consumer to re-sync if it does not fill in time;
- turns a message into one frame: `<!--v:N-->` and the parts of its audiences.
"""

from seminar import audiences
from seminar.audiences import BOARD, FACILITATOR, Facts

# How long a message that arrived after a gap waits for the missing ones before a re-sync.
GAP_SECONDS = 1.0


class SocketView:
    def __init__(self, role: str, participant_id: int | None = None):
        self.role = role
        self.participant_id = participant_id
        self.version: int | None = None  # none until the snapshot
        self.facts: Facts | None = None
        self.answered: frozenset[int] = frozenset()
        self.held: dict[int, dict] = {}
        self.audiences = self._audiences()

    def _audiences(self) -> frozenset[str]:
        if self.role == "board":
            return frozenset({BOARD})
        if self.role == "facilitator":
            return frozenset({FACILITATOR})
        if self.facts is None:
            return frozenset()
        return audiences.of_student(self.participant_id, self.facts, self.answered)

    def reset(self, snapshot: dict) -> None:
        """A snapshot was sent: the stream continues after its version."""
        self.version = snapshot["version"]
        if self.role == "participant":
            self.facts = snapshot["facts"]
            self.answered = frozenset(snapshot["answered"])
        self.held = {v: m for v, m in self.held.items() if v > self.version}
        self.audiences = self._audiences()

    @property
    def gap(self) -> bool:
        """Messages are held behind a missing one."""
        return bool(self.held)

    def take(self, message: dict) -> str:
        """The frames this message releases (several, if it filled a gap), as one string."""
        version = message["version"]
        if self.version is None or version <= self.version:
            return ""
        if version > self.version + 1:
            self.held[version] = message
            return ""
        frames = [self._frame(message)]
        while self.version + 1 in self.held:
            frames.append(self._frame(self.held.pop(self.version + 1)))
        return "".join(frames)

    def _frame(self, message: dict) -> str:
        self.version = message["version"]
        if self.role == "participant":
            changed = False
            if message.get("facts") is not None:
                self.facts = Facts.from_message(message["facts"])
                changed = True
            answered = (message.get("answered") or {}).get(str(self.participant_id))
            if answered is not None:
                self.answered = frozenset(answered)
                changed = True
            if changed:
                self.audiences = self._audiences()
        mine = self.audiences
        return f"<!--v:{self.version}-->" + "".join(
            html for audience, html in message["parts"] if audience in mine
        )
