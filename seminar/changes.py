"""What an action touched, in the classroom's words. The screens re-render what depends on it.

An action builds one `Change` and hands it to `seminar.broadcast.publish_on_commit` with the
version its transaction gave the session; it travels as `as_message()` (a few ids, never
HTML), and each process serving sockets merges the changes of one tick and renders them once
(seminar/ticks.py). Nothing here says *how* a screen shows a thing:
seminar/screens.py maps each kind of change to the regions that depend on it, for every
audience, so a region a change's author forgot cannot go stale.
"""

from dataclasses import dataclass, field, fields


@dataclass
class Change:
    step: bool = False  # the current step moved
    settings: bool = False  # board order, names, answer-first
    presence: bool = False  # someone joined, connected or left
    notes: bool = False  # the facilitator's notes on a step
    sharing: bool = False  # co-facilitators added or removed
    ended: bool = False  # the session ended
    board_turn: bool = False  # the console turned the board's page
    spotlight: bool = False  # an answer went on the board for discussion, or came off it
    moderators: bool = False  # moderator links made, claimed or revoked (the console's list)
    # Who may watch changed (sharing removed, a link revoked, an account signed out, its
    # password changed or deactivated): every console and moderator socket checks its own
    # access again, and closes if it has none.
    watchers: bool = False
    questions: set[int] = field(default_factory=set)  # opened or closed (question ids)
    # a round's phase, countdown or seats changed (question ids)
    rounds: set[int] = field(default_factory=set)
    counts: set[int] = field(default_factory=set)  # answer counts changed (question ids)
    answers: set[int] = field(default_factory=set)  # added, edited, voted, moderated, deleted
    # (participant id, question id): that student's own answer box changed.
    own: set[tuple[int, int]] = field(default_factory=set)
    # (participant id, question id): that student answered it or took their answer back, so
    # answer-first may now let them read its answers, or not.
    access: set[tuple[int, int]] = field(default_factory=set)
    voters: set[int] = field(default_factory=set)  # participants whose own votes changed
    # How the board shows a question changed: its answers or a word cloud (question ids).
    board_views: set[int] = field(default_factory=set)

    def as_message(self) -> dict:
        """Only what is set, as JSON-friendly lists (pairs as two-item lists)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value:
                out[f.name] = True if value is True else sorted(map(_plain, value))
        return out

    @classmethod
    def from_message(cls, data: dict) -> "Change":
        kwargs = {}
        for f in fields(cls):
            value = data.get(f.name)
            if not value:
                continue
            if value is True:
                kwargs[f.name] = True
            else:
                kwargs[f.name] = {tuple(v) if isinstance(v, list) else v for v in value}
        return cls(**kwargs)

    def merge(self, other: "Change") -> "Change":
        """Both changes at once (a tick's changes are rendered as one)."""
        return Change(
            step=self.step or other.step,
            settings=self.settings or other.settings,
            presence=self.presence or other.presence,
            notes=self.notes or other.notes,
            sharing=self.sharing or other.sharing,
            ended=self.ended or other.ended,
            board_turn=self.board_turn or other.board_turn,
            spotlight=self.spotlight or other.spotlight,
            moderators=self.moderators or other.moderators,
            watchers=self.watchers or other.watchers,
            questions=self.questions | other.questions,
            rounds=self.rounds | other.rounds,
            counts=self.counts | other.counts,
            answers=self.answers | other.answers,
            own=self.own | other.own,
            access=self.access | other.access,
            voters=self.voters | other.voters,
            board_views=self.board_views | other.board_views,
        )


def _plain(value):
    return list(value) if isinstance(value, tuple) else value
