"""Live broadcasts: render each fragment once per audience, send the HTML to its group.

Services schedule these with `transaction.on_commit`, so a broadcast only ever describes
committed state: each function reloads what it shows from the database. Every frame of a
change starts with `<!--v:N-->`, the session's version after that change; a client that sees
a gap asks for a snapshot (see static/seminar/live.js).
"""

import logging

from asgiref.sync import SyncToAsync, async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import close_old_connections
from django.template.loader import render_to_string
from django.utils.html import format_html

from seminar import groups, selectors
from seminar.models import Answer, QuestionState, Session

log = logging.getLogger(__name__)


def render_fragment(template_name: str, context: dict) -> str:
    """The one place live HTML is rendered (tests count calls to prove render-once)."""
    return render_to_string(template_name, context)


def version_mark(version: int) -> str:
    return f"<!--v:{version}-->"


def send(messages: list[tuple[str, dict]]) -> None:
    """Send (group, event) pairs. A full or unreachable channel layer is logged, never raised:
    the change is already committed, and clients re-sync from the snapshot."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return

    async def send_all():
        for group, event in merged(messages):
            try:
                await layer.group_send(group, event)
            except Exception:
                log.exception("Broadcast to %s failed; clients will re-sync", group)

    async_to_sync(send_all)()


def merged(messages: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    """One frame per group per change: consecutive fragments for a group become one message
    (a socket's cost is per frame, not per byte). Order per group is kept."""
    out: list[tuple[str, dict]] = []
    last: dict[str, int] = {}
    for group, event in messages:
        i = last.get(group)
        if i is not None and event["type"] == "fragment" and out[i][1]["type"] == "fragment":
            out[i] = (group, {**out[i][1], "html": out[i][1]["html"] + event["html"]})
            continue
        last[group] = len(out)
        out.append((group, event))
    return out


def fragment(group: str, html: str) -> tuple[str, dict]:
    return group, {"type": "fragment", "html": html}


# ---------------------------------------------------------------------------------------------
# Contexts


def _session(session_id: int) -> Session:
    return Session.objects.select_related("guide", "facilitator").get(pk=session_id)


def stage_context(session: Session) -> dict:
    step = selectors.current_step(session)
    ctx = {
        "session": session,
        "guide": session.guide,
        "step": step,
        "steps": selectors.agenda(session),
    }
    if step.kind == "question":
        ctx["state"] = selectors.question_state(session, step.obj)
    # The facilitator's notes box on the console follows the step (never sent to students).
    ctx["note_text"] = (
        session.notes.filter(step_key=step.key).values_list("text", flat=True).first() or ""
    )
    return ctx


def board_stage_context(session: Session) -> dict:
    """The stage as the board shows it: on a question, with that question's answers."""
    ctx = stage_context(session)
    if ctx["step"].kind == "question":
        ctx["answers"] = board_answers(session, ctx["step"].obj)
    return ctx


def answer_context(answer: Answer, audience: str, session: Session, **extra) -> dict:
    return {
        "answer": answer,
        "audience": audience,
        "session": session,
        "show_names": audience == "facilitator" or not session.names_hidden,
        **extra,
    }


def board_answers(session: Session, question) -> list[Answer]:
    return list(selectors.answers_with_votes(session, question=question))


# ---------------------------------------------------------------------------------------------
# Broadcasts, one per kind of change


def step_changed(session_id: int) -> None:
    session = _session(session_id)
    ctx = board_stage_context(session)  # the room and the console ignore the board's answers
    mark = version_mark(session.version)
    send(
        [
            fragment(
                groups.students(session.pk), mark + render_fragment("seminar/room.html#stage", ctx)
            ),
            fragment(
                groups.board(session.pk),
                mark + render_fragment("seminar/board.html#stage", ctx),
            ),
            fragment(
                groups.facilitator(session.pk),
                mark + render_fragment("seminar/console.html#agenda", ctx),
            ),
        ]
    )


def question_changed(session_id: int, question_id: int) -> None:
    """A question opened or closed. Closing reveals its answers to every student."""
    session = _session(session_id)
    (state,) = selectors.question_states(session, question_id=question_id)
    mark = version_mark(session.version)
    state_html = render_fragment(
        "seminar/fragments.html#question-state", {"session": session, "state": state, "oob": True}
    )
    messages = [
        fragment(groups.students(session.pk), mark + state_html),
        fragment(
            groups.facilitator(session.pk),
            mark
            + render_fragment(
                "seminar/console.html#question-controls", {"session": session, "state": state}
            ),
        ),
    ]
    focus = selectors.focus_question(session)
    if focus is not None and focus.pk == question_id:
        ctx = board_stage_context(session)
        messages.append(
            fragment(
                groups.board(session.pk), mark + render_fragment("seminar/board.html#stage", ctx)
            )
        )
    else:
        messages.append(fragment(groups.board(session.pk), mark))
    if state.was_closed and session.answer_first:
        answers = list(selectors.answers_with_votes(session, question=state.question))
        html = mark + render_fragment(
            "seminar/room.html#answers",
            {
                "session": session,
                "state": state,
                "answers": answers,
                "may_read": True,
                "audience": "student",
                "show_names": not session.names_hidden,
            },
        )
        messages.append(
            (
                groups.students(session.pk),
                {
                    "type": "reveal",
                    "html": html,
                    "group": groups.readers(session.pk, question_id),
                    "leave": groups.waiting(session.pk, question_id),
                },
            )
        )
    send(messages)


def _to_board(session: Session, question_id: int, mark: str, html: str) -> tuple[str, dict]:
    """A change to a question's answers, for the board: only the question in focus has its
    answers on the board; otherwise the board just learns the new version."""
    focus = selectors.focus_question(session)
    on_board = focus is not None and focus.pk == question_id
    return fragment(groups.board(session.pk), mark + html if on_board else mark)


def _question_counts(session: Session, question_id: int, mark: str) -> list[tuple[str, dict]]:
    (state,) = selectors.question_states(session, question_id=question_id)
    html = render_fragment(
        "seminar/fragments.html#question-state", {"session": session, "state": state, "oob": True}
    )
    return [
        fragment(groups.readers(session.pk, question_id), mark + html),
        fragment(groups.waiting(session.pk, question_id), mark + html),
        _to_board(session, question_id, mark, html),
    ]


def _facilitator_question(session: Session, question_id: int, mark: str) -> tuple[str, dict]:
    """The console's "not answered yet" line for one question."""
    state = QuestionState.objects.select_related("question").get(
        session=session, question_id=question_id
    )
    html = mark + render_fragment(
        "seminar/console.html#missing",
        {
            "session": session,
            "question": state.question,
            "missing": selectors.not_answered(session, state.question),
            "oob": True,
        },
    )
    return fragment(groups.facilitator(session.pk), html)


def _append(html: str, list_id: str) -> str:
    return format_html('<div hx-swap-oob="beforeend:#{}">{}</div>', list_id, html)


def answer_added(session_id: int, answer_id: int, *, reveal_to_author: bool = True) -> None:
    """A new (or unhidden) answer: into every list allowed to show it."""
    session = _session(session_id)
    answer = selectors.answer_with_votes(answer_id)
    mark = version_mark(session.version)
    qid = answer.question_id
    public_html = render_fragment(
        "seminar/fragments.html#answer-item", answer_context(answer, "student", session)
    )
    board_html = render_fragment(
        "seminar/fragments.html#answer-item", answer_context(answer, "board", session)
    )
    fac_html = render_fragment(
        "seminar/fragments.html#answer-item", answer_context(answer, "facilitator", session)
    )
    messages = [
        fragment(
            groups.readers(session.pk, qid),
            mark + _append(public_html, f"answers-{answer.question.number}"),
        ),
        _to_board(session, qid, mark, _append(board_html, f"answers-{answer.question.number}")),
        fragment(
            groups.facilitator(session.pk),
            mark + _append(fac_html, f"answers-{answer.question.number}"),
        ),
        _facilitator_question(session, qid, mark),
        *_question_counts(session, qid, mark),
    ]
    if reveal_to_author and session.answer_first:
        # Answer-first lifts for the author: their other tabs get the list and join its readers.
        state = selectors.question_state(session, answer.question)
        html = mark + render_fragment(
            "seminar/room.html#answers",
            {
                "session": session,
                "state": state,
                "answers": list(selectors.answers_with_votes(session, question=answer.question)),
                "may_read": True,
                "audience": "student",
                "show_names": not session.names_hidden,
                "my_answer_ids": {answer.pk},
            },
        )
        messages.append(
            (
                groups.participant(session.pk, answer.participant_id),
                {
                    "type": "reveal",
                    "html": html,
                    "group": groups.readers(session.pk, qid),
                    "leave": groups.waiting(session.pk, qid),
                },
            )
        )
    send(messages)


def answer_changed(session_id: int, answer_id: int) -> None:
    """Edited, pinned or unpinned: the body everywhere, the whole item for the facilitator."""
    session = _session(session_id)
    answer = selectors.answer_with_votes(answer_id)
    mark = version_mark(session.version)
    messages = [_facilitator_item(session, answer, mark)]
    if not answer.hidden:
        body = render_fragment(
            "seminar/fragments.html#answer-body",
            answer_context(answer, "student", session, oob=True),
        )
        messages += [
            fragment(groups.readers(session.pk, answer.question_id), mark + body),
            _to_board(session, answer.question_id, mark, body),
        ]
    else:
        messages.append(fragment(groups.board(session.pk), mark))
    messages.append(fragment(groups.waiting(session.pk, answer.question_id), mark))
    send(messages)


def answer_removed(session_id: int, answer_id: int, question_id: int) -> None:
    """Deleted by its author, or hidden by the facilitator: gone from every public screen."""
    session = _session(session_id)
    mark = version_mark(session.version)
    gone = format_html('<li id="answer-{}" hx-swap-oob="delete"></li>', answer_id)
    messages = [
        fragment(groups.readers(session.pk, question_id), mark + gone),
        _to_board(session, question_id, mark, gone),
        _facilitator_question(session, question_id, mark),
        *_question_counts(session, question_id, mark),
    ]
    answer = selectors.answer_with_votes(answer_id)
    if answer is not None:  # hidden, not deleted: the facilitator still sees it, marked
        messages.append(_facilitator_item(session, answer, mark))
    else:
        messages.append(fragment(groups.facilitator(session.pk), mark + gone))
    send(messages)


def _facilitator_item(session: Session, answer: Answer, mark: str) -> tuple[str, dict]:
    """The whole answer as the console shows it (names, hidden state, moderation buttons)."""
    html = render_fragment(
        "seminar/fragments.html#answer-item",
        answer_context(answer, "facilitator", session, oob=True),
    )
    return fragment(groups.facilitator(session.pk), mark + html)


def votes_changed(session_id: int, answer_id: int, voter_id: int, voted: bool) -> None:
    session = _session(session_id)
    answer = selectors.answer_with_votes(answer_id)
    mark = version_mark(session.version)
    count = render_fragment("seminar/fragments.html#votes", {"answer": answer, "oob": True})
    button = render_fragment(
        "seminar/fragments.html#vote-button",
        {"answer": answer, "session": session, "voted": voted, "oob": True},
    )
    send(
        [
            fragment(groups.readers(session.pk, answer.question_id), mark + count),
            _to_board(session, answer.question_id, mark, count),
            fragment(groups.facilitator(session.pk), mark + count),
            fragment(groups.waiting(session.pk, answer.question_id), mark),
            fragment(groups.participant(session.pk, voter_id), mark + button),
        ]
    )


# Presence changes come in floods (a class of 1,000 connecting): at most one broadcast per
# session per SEMINAR_PRESENCE_DELAY seconds, showing the latest state. The wait is a timer on
# the server's event loop, which the broadcast must run on anyway (the in-memory layer lives
# there); with no event loop around (a management command, a sync test) it is sent at once.
_presence_pending: set[int] = set()


def presence_changed(session_id: int) -> None:
    """Someone joined, connected or left: schedule the presence broadcast (coalesced)."""
    delay = settings.SEMINAR_PRESENCE_DELAY
    loop = _server_loop()
    if delay <= 0 or loop is None:
        send_presence(session_id)
        return
    loop.call_soon_threadsafe(_schedule_presence, loop, session_id, delay)


def _server_loop():
    """The event loop that runs this sync code's caller, when it is one (asgiref records it)."""
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    return loop if loop is not None and loop.is_running() else None


def _schedule_presence(loop, session_id: int, delay: float) -> None:
    if session_id in _presence_pending:
        return
    _presence_pending.add(session_id)
    loop.call_later(delay, lambda: loop.create_task(_send_presence_later(session_id)))


async def _send_presence_later(session_id: int) -> None:
    _presence_pending.discard(session_id)
    # Not thread-sensitive: the broadcast inside must be free to hop back onto this loop.
    await sync_to_async(_send_presence_job, thread_sensitive=False)(session_id)


def _send_presence_job(session_id: int) -> None:
    close_old_connections()
    try:
        send_presence(session_id)
    except Session.DoesNotExist:
        pass  # deleted meanwhile
    except Exception:
        log.exception("Presence broadcast for session %s failed", session_id)
    finally:
        close_old_connections()


def send_presence(session_id: int) -> None:
    """Who is here. Not versioned: the count is refreshed by every snapshot anyway."""
    session = _session(session_id)
    participants = selectors.participants_with_presence(session)
    online = sum(1 for p in participants if p.online)
    count_html = render_fragment("seminar/fragments.html#presence", {"online": online, "oob": True})
    people_html = render_fragment(
        "seminar/console.html#people",
        {"session": session, "participants": participants, "online": online, "oob": True},
    )
    # Someone new also changes every question's "not answered yet" line on the console.
    for state in QuestionState.objects.filter(session=session).select_related("question"):
        people_html += render_fragment(
            "seminar/console.html#missing",
            {
                "session": session,
                "question": state.question,
                "missing": selectors.not_answered(session, state.question),
                "oob": True,
            },
        )
    send(
        [
            fragment(groups.board(session.pk), count_html),
            fragment(groups.students(session.pk), count_html),
            fragment(groups.facilitator(session.pk), people_html),
        ]
    )


def board_changed(session_id: int) -> None:
    """Board settings (order, names) changed: the board re-renders its stage."""
    session = _session(session_id)
    ctx = board_stage_context(session)
    mark = version_mark(session.version)
    send(
        [
            fragment(
                groups.board(session.pk), mark + render_fragment("seminar/board.html#stage", ctx)
            ),
            fragment(groups.students(session.pk), mark),
            fragment(
                groups.facilitator(session.pk),
                mark
                + render_fragment(
                    "seminar/console.html#settings", {"session": session, "oob": True}
                ),
            ),
        ]
    )


def session_ended(session_id: int) -> None:
    session = _session(session_id)
    mark = version_mark(session.version)
    html = mark + render_fragment("seminar/fragments.html#ended", {"session": session, "oob": True})
    # Ending closed every question: students' forms go, and every answer is theirs to read,
    # exactly as a reload would show (their sockets close after this frame).
    students_html = html
    answers = list(selectors.answers_with_votes(session))
    for state in selectors.question_states(session):
        ctx = {
            "session": session,
            "state": state,
            "oob": True,
            "may_read": True,
            "audience": "student",
            "show_names": not session.names_hidden,
            "answers": [a for a in answers if a.question_id == state.question_id],
        }
        students_html += render_fragment("seminar/fragments.html#question-state", ctx)
        students_html += render_fragment("seminar/room.html#answers", ctx)
    send(
        [
            (groups.students(session.pk), {"type": "ended", "html": students_html}),
            (groups.board(session.pk), {"type": "ended", "html": html}),
            (groups.facilitator(session.pk), {"type": "ended", "html": html}),
        ]
    )
