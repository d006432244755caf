"""What each kind of screen shows right now: the page's context, and the snapshot a socket gets
on (re)connect. Both come from here, so a reconnected screen equals a fresh page load."""

import uuid

from seminar import groups, live, selectors
from seminar.models import Participant, Session


def room_context(
    session: Session,
    participant: Participant,
    *,
    question_number: int | None = None,
    with_answers: bool = True,
) -> dict:
    """What a student's room shows; with `question_number`, only that question's part, and
    without classmates' answers unless asked (the response to a post needs little else)."""
    if question_number is None:
        ctx = live.stage_context(session)
    else:
        ctx = {"session": session, "guide": session.guide}
    answered = selectors.answered_question_ids(participant)
    voted = selectors.voted_answer_ids(participant)
    mine = {a.question_id: a for a in participant.answers.all()}
    if question_number is None:
        states = selectors.question_states(session)
    else:
        states = selectors.question_states(session, question__number=question_number)
    answers = selectors.answers_with_votes(session)
    if question_number is not None:
        answers = answers.filter(question__number=question_number)
    answers = list(answers) if with_answers else []
    questions = []
    for state in states:
        may_read = selectors.may_read_answers(session, state, answered)
        questions.append(
            {
                "state": state,
                "mine": mine.get(state.question_id),
                "may_read": may_read,
                "answers": [a for a in answers if a.question_id == state.question_id]
                if may_read
                else [],
            }
        )
    ctx.update(
        participant=participant,
        questions=questions,
        voted_ids=voted,
        my_answer_ids={a.pk for a in mine.values()},
        online=selectors.online_count(session),
        audience="student",
        show_names=not session.names_hidden,
        # Called by the template: every answer form gets a fresh idempotency token.
        new_token=uuid.uuid4,
    )
    return ctx


def board_context(session: Session) -> dict:
    ctx = live.board_stage_context(session)
    ctx.update(online=selectors.online_count(session), audience="board")
    return ctx


def console_context(session: Session) -> dict:
    ctx = live.stage_context(session)
    participants = selectors.participants_with_presence(session)
    answers = list(selectors.answers_with_votes(session, include_hidden=True))
    ctx.update(
        participants=participants,
        online=sum(1 for p in participants if p.online),
        questions=[
            {
                "state": state,
                "answers": [a for a in answers if a.question_id == state.question_id],
                "missing": selectors.not_answered(session, state.question),
            }
            for state in selectors.question_states(session)
        ],
        audience="facilitator",
        show_names=True,
    )
    return ctx


def _mark(session: Session) -> str:
    return f"<!--v:{session.version} snapshot-->"


def for_participant(session: Session, participant: Participant) -> tuple[str, list[str]]:
    """(html, question groups to be in) for a student's socket: for each question, its readers
    group if answer-first lets them read its answers, else its waiting group."""
    ctx = room_context(session, participant)
    parts = [_mark(session), live.render_fragment("seminar/room.html#stage", ctx)]
    parts.append(live.render_fragment("seminar/fragments.html#presence", {**ctx, "oob": True}))
    readers = []
    for q in ctx["questions"]:
        state_ctx = {**ctx, **q, "oob": True}
        parts.append(live.render_fragment("seminar/fragments.html#question-state", state_ctx))
        parts.append(live.render_fragment("seminar/room.html#answers", state_ctx))
        readers_group, waiting_group = groups.question_groups(session.pk, q["state"].question_id)
        readers.append(readers_group if q["may_read"] else waiting_group)
    if not session.is_live:
        parts.append(live.render_fragment("seminar/fragments.html#ended", {**ctx, "oob": True}))
    return "".join(parts), readers


def for_board(session: Session) -> str:
    ctx = board_context(session)
    parts = [
        _mark(session),
        live.render_fragment("seminar/board.html#stage", ctx),
        live.render_fragment("seminar/fragments.html#presence", {**ctx, "oob": True}),
    ]
    if not session.is_live:
        parts.append(live.render_fragment("seminar/fragments.html#ended", {**ctx, "oob": True}))
    return "".join(parts)


def for_facilitator(session: Session) -> str:
    ctx = console_context(session)
    parts = [
        _mark(session),
        live.render_fragment("seminar/console.html#agenda", ctx),
        live.render_fragment("seminar/console.html#people", {**ctx, "oob": True}),
        live.render_fragment("seminar/console.html#settings", {**ctx, "oob": True}),
    ]
    for q in ctx["questions"]:
        qctx = {**ctx, **q, "question": q["state"].question, "oob": True}
        parts.append(live.render_fragment("seminar/console.html#question-controls", qctx))
        parts.append(live.render_fragment("seminar/console.html#moderation-list", qctx))
        parts.append(live.render_fragment("seminar/console.html#missing", qctx))
    if not session.is_live:
        parts.append(live.render_fragment("seminar/fragments.html#ended", {**ctx, "oob": True}))
    return "".join(parts)
