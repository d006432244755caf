"""Reads that pages, snapshots, broadcasts and exports share."""

import copy
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef
from django.utils import timezone

from guide.models import Guide, Question
from seminar import audiences
from seminar.agenda import Step, build_agenda
from seminar.models import (
    Answer,
    Attendance,
    Connection,
    Participant,
    QuestionState,
    Seat,
    Session,
    Vote,
)

# A connection whose heartbeat is older than this belongs to a closed tab or a dead process.
PRESENCE_TTL = timedelta(seconds=75)


def session_by_code(code: str) -> Session | None:
    # No ordering: a code is unique, and every request asks this first.
    return (
        Session.objects.select_related("guide", "facilitator").filter(code=code).order_by().first()
    )


CODE_MISS_MESSAGE = (
    "Too many wrong join codes from this device. Please wait a minute and try again."
)


def codes_refused(client: str) -> bool:
    """Whether this client typed so many wrong codes that every code is refused for now."""
    from django.conf import settings

    from seminar import ratelimit

    return ratelimit.over("code-miss", client, limit=settings.SEMINAR_JOIN_RATE)


def session_for_client(code: str, client: str) -> Session | None:
    """The session with this code, for a client typing or following codes: every URL and
    socket that takes a code asks here. Each unknown code counts against the client; past
    SEMINAR_JOIN_RATE a minute, every code (known or not) is refused with a SessionError
    (rate_limited), so answers cannot tell a live code from an unknown one."""
    from django.conf import settings

    from seminar import ratelimit
    from seminar.errors import SessionError

    limit = settings.SEMINAR_JOIN_RATE
    if codes_refused(client):
        raise SessionError(CODE_MISS_MESSAGE, code="rate_limited")
    session = session_by_code(code)
    if session is None:
        ratelimit.check("code-miss", client, limit=limit, message=CODE_MISS_MESSAGE)
    return session


def moderator_link_for_client(token: str, client: str):
    """The moderator link with this token (None if there is none), for a client following a
    link: unknown tokens count against the client with unknown join codes, and past the limit
    every link and code is refused (SessionError, rate_limited), as in `session_for_client`."""
    from django.conf import settings

    from seminar import ratelimit
    from seminar.errors import SessionError
    from seminar.models import ModeratorLink

    if codes_refused(client):
        raise SessionError(CODE_MISS_MESSAGE, code="rate_limited")
    link = (
        ModeratorLink.objects.select_related("session__guide")
        .filter(token_hash=ModeratorLink.hash_token(token))
        .first()
    )
    if link is None:
        ratelimit.check(
            "code-miss", client, limit=settings.SEMINAR_JOIN_RATE, message=CODE_MISS_MESSAGE
        )
    return link


def session_versions(session_ids) -> dict[int, int]:
    """The current version of each of these sessions that still exists."""
    return dict(Session.objects.filter(pk__in=session_ids).values_list("pk", "version"))


def agenda(session: Session) -> list[Step]:
    """The agenda is fixed for a session (its guide version never changes). Every broadcast
    needs it (which question is on the board), so it is kept per guide, in this process,
    keyed by what changes when a guide is re-imported in place."""
    if not hasattr(session, "_agenda"):
        guide = session.guide
        session._agenda = _agenda_of(guide.pk, guide.content_hash, guide.updated_at)
    return session._agenda


@lru_cache(maxsize=32)
def _agenda_of(guide_id: int, content_hash: str, updated_at) -> list[Step]:
    return build_agenda(Guide.objects.get(pk=guide_id))


def current_step(session: Session) -> Step:
    steps = agenda(session)
    return steps[min(session.current_step, len(steps) - 1)]


def question_states(session: Session, **only) -> list[QuestionState]:
    """Every discussion question of the session with its state, in order, with counts:
    `answer_count` (visible answers), `pending_count` (answers and replies waiting for
    review), `answered_count` (students who answered, one answer each, hidden and waiting ones
    included; replies are not answers) and
    `participant_count` (students who were here while it was open, `present_students`).
    `only` narrows it down to one (`question_id=…` or `question__number=…`): a broadcast
    about one question needs one."""
    states = list(
        QuestionState.objects.filter(session=session, **only)
        .select_related("question")
        .order_by("question__number")
    )
    if states:
        counts = _question_counts(session.pk, [state.pk for state in states])
        for state in states:
            (
                state.answer_count,
                state.pending_count,
                state.answered_count,
                state.participant_count,
            ) = counts[state.pk]
    return states


# The counts of `question_states`, one subquery per state row and count, each an index range
# scan (the index `answer_counts` covers the answers'). Written as SQL because every tick asks
# it: the ORM spent 9 ms compiling the same five nested subqueries on every call, the database
# 1 ms running them (at 1,000 students and answers; joining the answers into the states' rows
# instead ran the presence subquery once per joined answer, 327 ms). Present: attended while
# it was open, or answered it (one answer per student, and one attendance row per student and
# state, so the two counts add up to distinct students).
_COUNTS_SQL = """
SELECT s.id,
  (SELECT COUNT(*) FROM {answer} a WHERE a.question_id = s.question_id AND a.session_id = %s
     AND a.reply_to_id IS NULL AND a.hidden = %s AND a.pending = %s),
  (SELECT COUNT(*) FROM {answer} a WHERE a.question_id = s.question_id AND a.session_id = %s
     AND a.pending = %s),
  (SELECT COUNT(*) FROM {answer} a WHERE a.question_id = s.question_id AND a.session_id = %s
     AND a.reply_to_id IS NULL),
  (SELECT COUNT(*) FROM {attendance} t WHERE t.state_id = s.id)
  + (SELECT COUNT(*) FROM {answer} a WHERE a.question_id = s.question_id AND a.session_id = %s
     AND a.reply_to_id IS NULL AND NOT EXISTS (SELECT 1 FROM {attendance} t
       WHERE t.state_id = s.id AND t.participant_id = a.participant_id))
FROM {state} s WHERE s.id IN ({ids})
"""


def _question_counts(session_id: int, state_ids: list[int]) -> dict[int, tuple[int, ...]]:
    sql = _COUNTS_SQL.format(
        answer=Answer._meta.db_table,
        attendance=Attendance._meta.db_table,
        state=QuestionState._meta.db_table,
        ids=", ".join(["%s"] * len(state_ids)),
    )
    params = [session_id, False, False, session_id, True, session_id, session_id, *state_ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: tuple(int(n) for n in row[1:]) for row in cursor.fetchall()}


def present_students(session: Session, *, state, question):
    """The students who were here while the question was open: connected then (Attendance),
    or who answered it (a post is presence, with or without a socket). `state` and `question`
    are a QuestionState and its question, or their ids, or OuterRefs to them."""
    attended = Attendance.objects.filter(state=_outer(state), participant=OuterRef("pk"))
    answered = Answer.objects.filter(
        question=_outer(question), participant=OuterRef("pk"), reply_to__isnull=True
    )
    return session.participants.filter(Exists(attended) | Exists(answered))


def _outer(ref):
    """An OuterRef one level further out, for a ref given to a subquery inside a subquery."""
    return OuterRef(ref) if isinstance(ref, OuterRef) else ref


def question_state(session: Session, question: Question) -> QuestionState:
    (state,) = question_states(session, question_id=question.pk)
    return state


def answers_with_votes(session: Session, *, question: Question | None = None, include_hidden=False):
    """A session's answers (replies are in their answers' threads: `with_threads`)."""
    answers = (
        Answer.objects.filter(session=session, reply_to__isnull=True)
        .select_related("participant", "question")
        .annotate(vote_count=Count("votes"))
        .order_by("-pinned", "-created_at", "-pk")
    )
    if question is not None:
        answers = answers.filter(question=question)
    if not include_hidden:  # nor those waiting for review
        answers = answers.filter(hidden=False, pending=False)
    return answers


def answer_texts(session: Session, question_id: int) -> list[tuple[int, str]]:
    """(student, text) of a question's answers the class sees: not hidden, not waiting for
    review, and not replies (a reply is not an answer). What its key terms are made of."""
    return list(
        Answer.objects.filter(
            session=session,
            question_id=question_id,
            reply_to__isnull=True,
            hidden=False,
            pending=False,
        )
        .order_by("pk")
        .values_list("participant_id", "text")
    )


def answer_with_votes(answer_id: int) -> Answer | None:
    answer = (
        Answer.objects.select_related("participant", "question", "session")
        .annotate(vote_count=Count("votes"))
        .filter(pk=answer_id)
        .first()
    )
    return with_threads([answer])[0] if answer is not None else None


def with_threads(answers):
    """`answers` (a list), each with `thread`: its replies, oldest first, with their votes,
    authors and moves, hidden and waiting ones too (each screen shows what its audience may);
    and `move_counts`: (move, label, n) of its shown replies, for the moves used. One query."""
    answers = list(answers)
    by_id = {a.pk: a for a in answers}
    for answer in answers:
        answer.thread = []
    if by_id:
        replies = (
            Answer.objects.filter(reply_to__in=list(by_id))
            .select_related("participant")
            .annotate(vote_count=Count("votes"))
            .order_by("created_at", "pk")
        )
        for reply in replies:
            by_id[reply.reply_to_id].thread.append(reply)
    for answer in answers:
        _count_moves(answer)
    return answers


def thread_among(answer: Answer, participant_ids) -> Answer:
    """A copy of `answer` (from `with_threads`) whose thread keeps only these students'
    replies: a Pair table reads its own members' words and no one else's."""
    kept = copy.copy(answer)
    kept.thread = [r for r in answer.thread if r.participant_id in participant_ids]
    _count_moves(kept)
    return kept


def _count_moves(answer: Answer) -> None:
    shown = [r for r in answer.thread if r.shown]
    answer.shown_thread = shown
    answer.move_counts = [
        (move, label, n)
        for move, label in Answer.Move.choices
        if (n := sum(1 for r in shown if r.move == move))
    ]


def voted_answer_ids(participant: Participant) -> set[int]:
    return set(Vote.objects.filter(participant=participant).values_list("answer_id", flat=True))


def answered_question_ids(participant: Participant) -> set[int]:
    return set(
        participant.answers.filter(reply_to__isnull=True).values_list("question_id", flat=True)
    )


def may_read_answers(session: Session, state: QuestionState, answered_ids: set[int]) -> bool:
    """Whether a student reads the class's answers to this question (audiences.may_read)."""
    return audiences.may_read(
        answer_first=session.answer_first,
        revealed=state.was_closed,
        answered=state.question_id in answered_ids,
        phase=state.phase,
    )


def may_read_answer(session: Session, state: QuestionState, participant, answer) -> bool:
    """Whether this student reads this answer: as the class does, or, in a round's Pair
    phase, when its author sits at their table."""
    if state.phase == "pair":
        tables = dict(
            Seat.objects.filter(
                state=state, participant_id__in=[participant.pk, answer.participant_id]
            ).values_list("participant_id", "table")
        )
        mine = tables.get(participant.pk)
        return mine is not None and mine == tables.get(answer.participant_id)
    return may_read_answers(session, state, answered_question_ids(participant))


def repliers_to_others(question_ids) -> set[tuple[int, int]]:
    """(student, question) of everyone who replied to a classmate's answer to these
    questions: their own box quotes it, when they may read it."""
    if not question_ids:
        return set()
    return set(
        Answer.objects.filter(question_id__in=list(question_ids), reply_to__isnull=False)
        .exclude(reply_to__participant_id=F("participant_id"))
        .values_list("participant_id", "question_id")
    )


def tables(state: QuestionState) -> dict[int, list[int]]:
    """A question's Pair tables: table number -> the participant ids sitting there."""
    out: dict[int, list[int]] = {}
    for pid, table in Seat.objects.filter(state=state).values_list("participant_id", "table"):
        out.setdefault(table, []).append(pid)
    return out


def online_count(session: Session) -> int:
    """How many students have a fresh connection (two tabs count once)."""
    fresh = Connection.objects.filter(
        participant=OuterRef("pk"), last_seen__gte=timezone.now() - PRESENCE_TTL
    )
    return session.participants.filter(Exists(fresh)).count()


def online_participant_ids(session: Session) -> list[int]:
    fresh = Connection.objects.filter(
        participant=OuterRef("pk"), last_seen__gte=timezone.now() - PRESENCE_TTL
    )
    return list(session.participants.filter(Exists(fresh)).values_list("pk", flat=True))


def participants_with_presence(session: Session) -> list[Participant]:
    """Everyone who joined, each with `online` (a fresh connection)."""
    fresh = Connection.objects.filter(
        participant=OuterRef("pk"), last_seen__gte=timezone.now() - PRESENCE_TTL
    )
    return list(session.participants.annotate(online=Exists(fresh)))


# The console names this many students who have not answered; beyond that it counts them.
MISSING_NAMED = 40


@dataclass(frozen=True)
class NotAnswered:
    names: list[str]
    count: int
    participant_count: int

    @property
    def more(self) -> int:
        return self.count - len(self.names)


def not_answered(session: Session, state: QuestionState) -> NotAnswered:
    """Who was here while the question of `state` (from `question_states`, with its counts)
    was open and has not answered it: one query for the first names, whatever the size of
    the class."""
    answered = Answer.objects.filter(question_id=state.question_id, reply_to__isnull=True)
    waiting = session.participants.filter(attendance__state_id=state.pk).exclude(
        pk__in=answered.values("participant_id")
    )
    return NotAnswered(
        names=list(
            waiting.order_by("joined_at", "pk").values_list("name", flat=True)[:MISSING_NAMED]
        ),
        # One answer per student and question, hidden ones included: answered_count students.
        count=state.participant_count - state.answered_count,
        participant_count=state.participant_count,
    )
