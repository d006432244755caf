"""Who sees what: the audiences a change's fragments are rendered for, and which of them a
socket belongs to.

A change is rendered once per audience, never per socket (see seminar/screens.py):

board           the projector: what anyone in the room may see (no hidden answers)
facilitator     the console: names, hidden answers, moderation
moderator       a moderator's phone: the answers and their moderation, never the console's
                notes, people or sharing
students        every student: the step, question states, counts
readers-Q       students allowed to read classmates' answers to question Q
waiting-Q       the other students: they get Q's counts and the gate, never its answers
participant-P   one student's own things (their answer boxes, which answers are theirs,
                their votes), on every tab they have open

A student socket is in exactly one of readers-Q and waiting-Q for every question. Which one
follows from facts the socket keeps up to date from the ordered stream (`Facts` and the
student's own answered questions), by the one rule in `may_read`; a change that could move a
student between the two carries both variants, so each socket picks the right one.
"""

from dataclasses import dataclass

BOARD = "board"
FACILITATOR = "facilitator"
MODERATOR = "moderator"
STUDENTS = "students"


def readers(question_id: int) -> str:
    return f"readers-{question_id}"


def waiting(question_id: int) -> str:
    return f"waiting-{question_id}"


def participant(participant_id: int) -> str:
    return f"participant-{participant_id}"


def is_participant(audience: str) -> bool:
    return audience.startswith("participant-")


def session_group(session_id: int) -> str:
    """The channel-layer group of every socket of a session: one ordered stream per session."""
    return f"session-{session_id}"


# A round's phases (QuestionState.Phase): in Think nobody reads classmates' answers, in Pair
# each student reads their table's only (sent to the table's members, never to readers-Q), in
# Share and Lock everyone reads them, whatever answer-first says.
PRIVATE_PHASES = ("think", "pair")
SHARED_PHASES = ("share", "lock")


def may_read(*, answer_first: bool, revealed: bool, answered: bool, phase: str = "") -> bool:
    """Whether a student reads the whole class's answers to a question: not in a round's
    private phases, always in its shared ones; without a round, answer-first decides: once
    they answered or it closed."""
    if phase in PRIVATE_PHASES:
        return False
    if phase in SHARED_PHASES:
        return True
    return not answer_first or answered or revealed


@dataclass(frozen=True)
class Facts:
    """What decides a student's readers/waiting audiences, for every student of a session."""

    answer_first: bool
    question_ids: tuple[int, ...]
    revealed: frozenset[int]  # questions closed after being open: everyone reads them
    phases: tuple[tuple[int, str], ...] = ()  # (question id, phase) of questions in a round

    def as_message(self) -> dict:
        return {
            "answer_first": self.answer_first,
            "question_ids": list(self.question_ids),
            "revealed": sorted(self.revealed),
            "phases": [list(p) for p in self.phases],
        }

    @classmethod
    def from_message(cls, data: dict) -> "Facts":
        return cls(
            answer_first=bool(data["answer_first"]),
            question_ids=tuple(data["question_ids"]),
            revealed=frozenset(data["revealed"]),
            phases=tuple(tuple(p) for p in data.get("phases", ())),
        )


def of_student(participant_id: int, facts: Facts, answered: frozenset[int]) -> frozenset[str]:
    """Every audience a student's socket is in."""
    keys = {STUDENTS, participant(participant_id)}
    phases = dict(facts.phases)
    for qid in facts.question_ids:
        phase = phases.get(qid, "")
        if phase == "pair":
            continue  # their table's answers come to their own audience
        reads = may_read(
            answer_first=facts.answer_first,
            revealed=qid in facts.revealed,
            answered=qid in answered,
            phase=phase,
        )
        keys.add(readers(qid) if reads else waiting(qid))
    return frozenset(keys)
