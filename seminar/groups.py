"""Channel-layer group names: an audience per group, so who may see what is decided here.

board       what anyone in the room may see (the projector): no hidden answers
students    every student socket: steps, question states, counts
readers-Q   students allowed to see classmates' answers to question Q (answer-first)
waiting-Q   the other students: they get Q's counts, never its answers. Every student socket
            is in exactly one of readers-Q and waiting-Q, so each change reaches it once.
participant one student's own sockets (their tabs)
facilitator the console: names, hidden answers, moderation
"""


def board(session_id: int) -> str:
    return f"session-{session_id}-board"


def students(session_id: int) -> str:
    return f"session-{session_id}-students"


def readers(session_id: int, question_id: int) -> str:
    return f"session-{session_id}-readers-{question_id}"


def waiting(session_id: int, question_id: int) -> str:
    return f"session-{session_id}-waiting-{question_id}"


def question_groups(session_id: int, question_id: int) -> tuple[str, str]:
    return readers(session_id, question_id), waiting(session_id, question_id)


def participant(session_id: int, participant_id: int) -> str:
    return f"session-{session_id}-participant-{participant_id}"


def facilitator(session_id: int) -> str:
    return f"session-{session_id}-facilitator"
