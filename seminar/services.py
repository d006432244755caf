"""Every change to a session, one function each: check, write in a transaction, then publish.

Views, consumers, management commands and tests call these; none repeats their rules.
Each change bumps the session's version inside its own transaction and publishes what it
touched (a `Change`) with that number, after the commit (seminar/broadcast.py): nothing is sent
that is not saved, and every screen applies the changes in version order. Each raises
`SessionError` (with a `code`) and writes nothing when a rule refuses.
"""

import math
import random
import secrets
import unicodedata
import uuid
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from guide.models import Guide, Question
from seminar import agenda, broadcast, codes, names, presence, selectors
from seminar.changes import Change
from seminar.errors import NameTaken, SessionError
from seminar.models import (
    ANSWER_MAX_LENGTH,
    NAME_MAX_LENGTH,
    Answer,
    Attendance,
    Connection,
    ModeratorLink,
    Participant,
    QuestionState,
    Seat,
    Session,
    SpotlightLog,
    StepLog,
    StepNote,
    Vote,
)


def _publish(session: Session, change: Change) -> None:
    """Number this change (inside the caller's transaction, under the session's row lock) and
    publish it once the transaction commits."""
    session.version = next_version(session.pk)
    broadcast.publish_on_commit(session.pk, session.version, change)


def next_version(session_id: int) -> int | None:
    """Bump the session's version and return the new one (None if it is gone): one statement
    (SQLite 3.35+ and PostgreSQL both return what they updated)."""
    table = Session._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET version = version + 1 WHERE id = %s RETURNING version",
            [session_id],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _presence_changed(session_id: int) -> None:
    transaction.on_commit(lambda: presence.changed(session_id), robust=True)


def _check_facilitator(session: Session, by) -> None:
    if not session.is_facilitated_by(by):
        raise SessionError("Only this session's facilitator can do that.", code="forbidden")


def _check_moderator(session: Session, by) -> None:
    """Who may moderate answers (approve, hide, pin, spotlight, mark discussed): the session's
    facilitators, and a moderator link claimed on a device (`by` is then the ModeratorLink).
    The link is read again here, so a revoked one stops at once."""
    if isinstance(by, ModeratorLink):
        link = ModeratorLink.objects.filter(pk=by.pk, session_id=session.pk).first()
        if link is not None and link.revoked_at is not None:
            raise SessionError(MODERATOR_REVOKED, code="forbidden")
        if link is None or link.claimed_at is None:
            raise SessionError(
                "Only this session's facilitators and moderators can do that.", code="forbidden"
            )
        if not session.is_live:
            raise SessionError(MODERATOR_ENDED, code="session_ended")
        return
    _check_facilitator(session, by)


def _check_owner(session: Session, by) -> None:
    if by is None or not by.is_authenticated or by.pk != session.facilitator_id:
        raise SessionError(
            "Only the facilitator who started this session can do that.", code="forbidden"
        )


def _check_live(session: Session) -> None:
    if not session.is_live:
        raise SessionError("This session has ended.", code="session_ended")


def _locked(session: Session) -> Session:
    """Re-read the session under a row lock, so concurrent actions see each other's writes."""
    return Session.objects.select_for_update().select_related("guide").get(pk=session.pk)


# ---------------------------------------------------------------------------------------------
# Sessions


def session_start(
    *,
    facilitator,
    guide: Guide,
    title: str = "",
    names_hidden: bool = True,
    answer_first: bool = True,
    approve_first: bool = False,
) -> Session:
    """Create a live session on `guide` with a fresh join code, in the lobby."""
    title = title.strip()
    if len(title) > 200:
        raise SessionError("A title can be at most 200 characters.", code="invalid_title")
    for _ in range(20):
        try:
            with transaction.atomic():
                session = Session.objects.create(
                    code=codes.new_code(),
                    guide=guide,
                    facilitator=facilitator,
                    title=title,
                    names_hidden=names_hidden,
                    answer_first=answer_first,
                    approve_first=approve_first,
                )
                QuestionState.objects.bulk_create(
                    QuestionState(session=session, question=q) for q in guide.questions.all()
                )
                first = selectors.agenda(session)[0]
                StepLog.objects.create(
                    session=session,
                    index=0,
                    key=first.key,
                    title=first.label,
                    started_at=timezone.now(),
                )
                return session
        except IntegrityError:
            continue  # the code was taken: draw another
    raise SessionError("Could not find a free join code; try again.", code="no_code")


def step_go(*, session: Session, by, to: int | str) -> Session:
    """Move the walk to step `to` (0-based), or "next" / "previous" from wherever it is when
    the move is made (so two quick presses of Next step move two steps). Logs the time on the
    step left."""
    _check_facilitator(session, by)
    with transaction.atomic():
        session = _locked(session)
        _check_live(session)
        steps = selectors.agenda(session)
        if to == "next":
            to = min(session.current_step + 1, len(steps) - 1)
        elif to == "previous":
            to = max(session.current_step - 1, 0)
        if not isinstance(to, int):
            raise SessionError("Choose a step.", code="invalid_step")
        if not 0 <= to < len(steps):
            raise SessionError(f"There is no step {to + 1}.", code="invalid_step")
        if to == session.current_step:
            return session
        now = timezone.now()
        StepLog.objects.filter(session=session, ended_at__isnull=True).update(ended_at=now)
        step = steps[to]
        StepLog.objects.create(
            session=session, index=to, key=step.key, title=step.label, started_at=now
        )
        session.current_step = to
        session.save(update_fields=["current_step"])
        # The class moves on: the answer it was discussing leaves the board.
        _publish(session, Change(step=True, **_end_spotlight(session, now)))
    return session


def step_next(*, session: Session, by) -> Session:
    return step_go(session=session, by=by, to="next")


def step_previous(*, session: Session, by) -> Session:
    return step_go(session=session, by=by, to="previous")


def session_update_settings(
    *,
    session: Session,
    by,
    board_order: str | None = None,
    names_hidden: bool | None = None,
    answer_first: bool | None = None,
    board_theme: str | None = None,
    approve_first: bool | None = None,
) -> Session:
    """Board order and theme, names on the board, answer-first, approve-first. Every screen
    follows. Turning approve-first off releases no waiting answer: each still needs a look."""
    _check_facilitator(session, by)
    with transaction.atomic():
        session = _locked(session)
        _check_live(session)
        if board_order is not None:
            if board_order not in Session.BoardOrder.values:
                raise SessionError("Unknown board order.", code="invalid_order")
            session.board_order = board_order
        if board_theme is not None:
            if board_theme not in Session.BoardTheme.values:
                raise SessionError(
                    "Unknown board theme: choose light or dark.", code="invalid_theme"
                )
            session.board_theme = board_theme
        if names_hidden is not None:
            session.names_hidden = names_hidden
        if answer_first is not None:
            session.answer_first = answer_first
        if approve_first is not None:
            session.approve_first = approve_first
        session.save(
            update_fields=[
                "board_order",
                "board_theme",
                "names_hidden",
                "answer_first",
                "approve_first",
            ]
        )
        _publish(session, Change(settings=True))
    return session


def board_turn(*, session: Session, by, direction: str) -> Session:
    """Turn the board to its next or previous page of answers, quotes or people, from the
    console (the board's own keys do the same on the projecting machine)."""
    _check_facilitator(session, by)
    if direction not in ("next", "previous"):
        raise SessionError("Choose the next or the previous page.", code="invalid_direction")
    with transaction.atomic():
        session = _locked(session)
        _check_live(session)
        if selectors.current_step(session).kind not in agenda.PAGED_STEPS:
            raise SessionError(
                "The board has no pages on this step: only answers, quotes and people do.",
                code="nothing_to_page",
            )
        session.board_turns += 1 if direction == "next" else -1
        session.save(update_fields=["board_turns"])
        _publish(session, Change(board_turn=True))
    return session


def question_set_board_view(*, session: Session, by, number: int, view: str) -> QuestionState:
    """How the board shows question `number` while it is on screen: its answers, or a word
    cloud of their key terms ("answers" or "cloud"). Publishes `board_views`."""
    _check_facilitator(session, by)
    if view not in QuestionState.BoardView.values:
        raise SessionError(
            "The board shows a question as “Answers” or as a “Word cloud”.", code="invalid_view"
        )
    with transaction.atomic():
        session = _locked(session)
        _check_live(session)
        question = _question(session, number)
        state = QuestionState.objects.select_for_update().get(session=session, question=question)
        if state.board_view == view:
            return state
        state.board_view = view
        state.save(update_fields=["board_view"])
        _publish(session, Change(board_views={question.pk}))
    return state


def session_end(*, session: Session, by) -> Session:
    """End the session: nobody can join or post any more; every screen is told."""
    _check_facilitator(session, by)
    with transaction.atomic():
        session = _locked(session)
        if not session.is_live:
            return session
        now = timezone.now()
        session.ended_at = now
        session.save(update_fields=["ended_at"])
        StepLog.objects.filter(session=session, ended_at__isnull=True).update(ended_at=now)
        states = QuestionState.objects.filter(session=session)
        in_round = set(states.exclude(phase="").values_list("question_id", flat=True))
        states.filter(is_open=True).update(is_open=False, closed_at=now)
        states.filter(question_id__in=in_round).update(
            phase="", phase_ends_at=None, phase_paused_seconds=None, phase_advances=False
        )
        # Everything the end touched, so every screen redraws it: the stage and agenda (step),
        # the room's rules (settings), every question (closed, and answer-first's gates
        # open), and every round it stopped.
        change = Change(
            ended=True,
            step=True,
            settings=True,
            questions=set(states.values_list("question_id", flat=True)),
            rounds=in_round,
        )
        _publish(session, change.merge(Change(**_end_spotlight(session, now))))
    return session


# ---------------------------------------------------------------------------------------------
# Participants


def clean_name(name: str) -> str:
    """A display name as shown: trimmed, inner whitespace folded, NFC. Raises on bad names."""
    name = unicodedata.normalize("NFC", " ".join((name or "").split()))
    if not name:
        raise SessionError("Please type your name.", code="invalid_name")
    if any(unicodedata.category(c) in {"Cc", "Cf", "Cs", "Co", "Cn"} for c in name):
        raise SessionError("Your name has characters that cannot be shown.", code="invalid_name")
    if len(name) > NAME_MAX_LENGTH:
        raise SessionError(
            f"Your name can be at most {NAME_MAX_LENGTH} characters.", code="invalid_name"
        )
    return name


def participant_join(*, session: Session, name: str) -> Participant:
    """A new participant. A name someone in the session already has, or one that only looks
    like it (seminar/names.py), is refused with `NameTaken` and a free suggestion: a student
    is never silently renamed, and never mistaken for a classmate."""
    name = clean_name(name)
    _check_live(session)
    existing = list(session.participants.values_list("name", flat=True))
    if names.is_taken(name, existing):
        raise _name_taken(name, existing)
    try:
        with transaction.atomic():
            participant = Participant.objects.create(session=session, name=name)
    except IntegrityError:  # a classmate took the same name at the same moment
        raise _name_taken(name, [*existing, name]) from None
    _presence_changed(session.pk)
    return participant


def _name_taken(name: str, existing: list[str]) -> NameTaken:
    taken = next((other for other in existing if names.look_alike(name, other)), name)
    n = 2
    while names.is_taken(f"{name} ({n})", existing):
        n += 1
    return NameTaken(taken, f"{name} ({n})")


def connection_open(*, participant: Participant, channel_name: str) -> None:
    Connection.objects.update_or_create(
        channel_name=channel_name,
        defaults={
            "participant": participant,
            "session_id": participant.session_id,
            "last_seen": timezone.now(),
        },
    )
    open_states = QuestionState.objects.filter(session_id=participant.session_id, is_open=True)
    _attend(open_states.values_list("pk", flat=True), [participant.pk])
    # The presence change re-renders every question's "n of m answered" with the rest.
    _presence_changed(participant.session_id)


def _attend(state_ids, participant_ids) -> None:
    """These students were here while these questions were open."""
    Attendance.objects.bulk_create(
        [Attendance(state_id=s, participant_id=p) for s in state_ids for p in participant_ids],
        ignore_conflicts=True,
        batch_size=500,
    )


def connections_seen(*, channel_names: list[str]) -> None:
    """The heartbeat: these sockets are still open (a few hundred per UPDATE)."""
    now = timezone.now()
    for i in range(0, len(channel_names), 500):
        Connection.objects.filter(channel_name__in=channel_names[i : i + 500]).update(last_seen=now)


def connection_close(*, channel_name: str) -> None:
    connection = Connection.objects.filter(channel_name=channel_name).first()
    if connection is None:
        return
    connection.delete()
    _presence_changed(connection.session_id)


# ---------------------------------------------------------------------------------------------
# Questions


def _question(session: Session, number: int) -> Question:
    question = Question.objects.filter(guide_id=session.guide_id, number=number).first()
    if question is None:
        raise SessionError(f"This session has no question {number}.", code="not_found")
    return question


def question_set_open(*, session: Session, by, number: int, is_open: bool) -> QuestionState:
    """Open or close a discussion question (any number may be open at once)."""
    _check_facilitator(session, by)
    with transaction.atomic():
        session = _locked(session)
        _check_live(session)
        question = _question(session, number)
        state = QuestionState.objects.select_for_update().get(session=session, question=question)
        if state.is_open == is_open:
            return state
        now = timezone.now()
        state.is_open = is_open
        if is_open:
            state.opened_at = state.opened_at or now
            _attend([state.pk], selectors.online_participant_ids(session))
        else:
            state.closed_at = now
            # Closing ends its round: a closed question's answers are everyone's, as always.
            state.phase, state.phase_ends_at, state.phase_paused_seconds = "", None, None
            state.phase_advances = False
        state.save()
        _publish(session, Change(questions={question.pk}, rounds={question.pk}))
    return state


# ---------------------------------------------------------------------------------------------
# Answers


def clean_answer_text(text: str, *, noun: str = "answer") -> str:
    """Answers (and replies) keep what the student typed; only leading and trailing space is
    dropped."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise SessionError(f"Your {noun} is empty. Write something first.", code="empty_answer")
    if len(text) > ANSWER_MAX_LENGTH:
        raise SessionError(
            f"Your {noun} is {len(text):,} characters; the limit is {ANSWER_MAX_LENGTH:,}. "
            "Please shorten it.",
            code="answer_too_long",
        )
    if "\x00" in text:
        raise SessionError(
            f"Your {noun} contains a character that cannot be saved.", code="invalid_text"
        )
    return text


def _repliers(answer_ids) -> set[tuple[int, int]]:
    """(student, question) of everyone who replied to these answers: their own box quotes the
    answer they replied to, so it follows the answer's text and whether it is shown."""
    return set(
        Answer.objects.filter(reply_to__in=list(answer_ids)).values_list(
            "participant_id", "question_id"
        )
    )


def _item(answer: Answer) -> int:
    """The id of the item screens show an answer in: a reply lives in its answer's thread,
    so the answer's item is what a change to a reply re-renders."""
    return answer.reply_to_id or answer.pk


def _open_state(session: Session, question: Question) -> QuestionState:
    """The question's state, if it takes posts and edits: open, and its round not locked."""
    state = QuestionState.objects.get(session=session, question=question)
    if not state.is_open:
        raise SessionError("This question is closed.", code="question_closed")
    _check_unlocked(state)
    return state


def _check_unlocked(state: QuestionState) -> None:
    if state.phase == QuestionState.Phase.LOCK:
        raise SessionError(
            "This question is locked: answers can be read, not posted or changed.",
            code="question_locked",
        )


def _unread_message(state: QuestionState, doing: str) -> str:
    if state.phase == QuestionState.Phase.THINK:
        return f"This is the Think phase: answers stay private, so you cannot {doing} them yet."
    if state.phase == QuestionState.Phase.PAIR:
        return f"In the Pair phase you can {doing} the answers at your table only."
    return f"Answer this question first to see and {doing} classmates' answers."


def answer_post(
    *, participant: Participant, number: int, text: str, client_token: uuid.UUID | str | None
) -> tuple[Answer, bool]:
    """Post the participant's answer to question `number`. Returns (answer, created).

    The same client token twice is the same answer (a retried post creates nothing new).
    Only its own write: a handful of queries whatever the size of the class or the number of
    answers (tests/test_post_cost.py); everything else screens show is rendered per tick.
    """
    try:
        token = uuid.UUID(str(client_token)) if client_token else uuid.uuid4()
    except ValueError:
        token = uuid.uuid4()
    text = clean_answer_text(text)
    with transaction.atomic():
        # The question with the session, under the session's lock (one query), so no other
        # post, edit or close interleaves with this one.
        state = (
            QuestionState.objects.select_related("question", "session")
            .select_for_update(of=("session",))
            .filter(session_id=participant.session_id, question__number=number)
            .order_by()
            .first()
        )
        if state is None:
            _check_live(_locked(participant.session))
            raise SessionError(f"This session has no question {number}.", code="not_found")
        session = state.session
        _check_live(session)
        # A retry of this very post, or an earlier answer to this question: one query for both.
        existing = list(
            Answer.objects.filter(participant=participant).filter(
                Q(client_token=token) | Q(question_id=state.question_id, reply_to__isnull=True)
            )
        )
        retried = next((a for a in existing if a.client_token == token), None)
        if retried is not None:
            if retried.question_id == state.question_id:
                retried.question = state.question
            return retried, False
        if not state.is_open:
            raise SessionError("This question is closed.", code="question_closed")
        _check_unlocked(state)
        if existing:
            raise SessionError(
                "You have already answered this question. Edit your answer instead.",
                code="duplicate",
            )
        answer = Answer.objects.create(
            session=session,
            question=state.question,
            participant=participant,
            text=text,
            client_token=token,
            pending=session.approve_first,
        )
        _publish(
            session,
            Change(
                answers={answer.pk},
                counts={state.question_id},
                own={(participant.pk, state.question_id)},
                access={(participant.pk, state.question_id)},
            ),
        )
    return answer, True


def _own_answer(participant: Participant, answer_id: int) -> Answer:
    answer = (
        Answer.objects.select_related("question")
        .filter(pk=answer_id, session_id=participant.session_id)
        .first()
    )
    if answer is None:
        raise SessionError("That answer does not exist.", code="not_found")
    if answer.participant_id != participant.pk:
        raise SessionError("You can only change your own answer.", code="forbidden")
    return answer


def answer_edit(*, participant: Participant, answer_id: int, text: str) -> Answer:
    """Edit one's answer or reply while its question is open."""
    with transaction.atomic():
        session = _locked(participant.session)
        _check_live(session)
        answer = _own_answer(participant, answer_id)
        text = clean_answer_text(text, noun="reply" if answer.is_reply else "answer")
        _open_state(session, answer.question)
        if answer.text == text:
            return answer
        answer.text = text
        answer.edited_at = timezone.now()
        # Approve-first: what the facilitator approved is not what it says now.
        requeued = session.approve_first and not answer.pending and not answer.hidden
        answer.pending = answer.pending or requeued
        answer.save(update_fields=["text", "edited_at", "pending"])
        _publish(
            session,
            Change(
                answers={_item(answer)},
                own={(participant.pk, answer.question_id)} | _repliers([answer.pk]),
                counts={answer.question_id} if requeued else set(),
            ),
        )
    return answer


def answer_delete(*, participant: Participant, answer_id: int) -> Question:
    with transaction.atomic():
        session = _locked(participant.session)
        _check_live(session)
        answer = _own_answer(participant, answer_id)
        _open_state(session, answer.question)
        if answer.replies.exists():
            raise SessionError(
                "Classmates replied to your answer, so it stays for their replies. "
                "You can still edit it.",
                code="has_replies",
            )
        question, item = answer.question, _item(answer)
        voters = set(answer.votes.values_list("participant_id", flat=True))
        spotlit = session.spotlight_id == answer.pk
        answer.delete()  # its spotlight, if on the board, goes with it (SET_NULL, CASCADE)
        # Taking back a reply changes no one's access: answer-first counts answers only.
        access = set() if answer.is_reply else {(participant.pk, question.pk)}
        _publish(
            session,
            Change(
                answers={item},
                counts={question.pk},
                own={(participant.pk, question.pk)},
                access=access,
                voters=voters,
                spotlight=spotlit,
            ),
        )
    return question


def reply_post(
    *,
    participant: Participant,
    answer_id: int,
    move: str,
    text: str,
    client_token: uuid.UUID | str | None,
) -> tuple[Answer, bool]:
    """Reply to a classmate's answer with a move: build on it, challenge it or question it.
    Returns (reply, created); the same client token twice is the same reply.

    A reply follows the answer's rules: only while the question is open, only by a student
    answer-first lets read the answer, waiting for review under approve-first. It goes under
    an answer the class can see, never under a reply (threads are one level deep) nor under
    the student's own answer (they edit that instead).
    """
    try:
        token = uuid.UUID(str(client_token)) if client_token else uuid.uuid4()
    except ValueError:
        token = uuid.uuid4()
    with transaction.atomic():
        session = _locked(participant.session)
        _check_live(session)
        retried = Answer.objects.filter(participant=participant, client_token=token).first()
        if retried is not None:
            return retried, False
        if move not in Answer.Move.values:
            raise SessionError(
                "Choose what your reply does: Build on, Challenge or Question.",
                code="invalid_move",
            )
        text = clean_answer_text(text, noun="reply")
        parent = _replyable(session, participant, answer_id)
        reply = Answer.objects.create(
            session=session,
            question=parent.question,
            participant=participant,
            text=text,
            client_token=token,
            pending=session.approve_first,
            reply_to=parent,
            move=move,
        )
        _publish(
            session,
            Change(
                answers={parent.pk},
                own={(participant.pk, parent.question_id)},
                counts={parent.question_id} if reply.pending else set(),
            ),
        )
    return reply, True


def _replyable(session: Session, participant: Participant, answer_id: int) -> Answer:
    """The answer `participant` may reply to now, or the domain error saying why not."""
    parent = Answer.objects.select_related("question").filter(pk=answer_id, session=session).first()
    if parent is None:
        raise SessionError("That answer does not exist.", code="not_found")
    if parent.is_reply:
        raise SessionError(
            "Reply to the answer itself: replies do not nest.", code="reply_to_reply"
        )
    if not parent.shown:
        raise SessionError(
            "That answer is not shown to the class, so it cannot take replies.",
            code="hidden_answer",
        )
    if parent.participant_id == participant.pk:
        raise SessionError(
            "You cannot reply to your own answer. Edit it instead.", code="own_answer"
        )
    state = _open_state(session, parent.question)
    if not selectors.may_read_answer(session, state, participant, parent):
        raise SessionError(_unread_message(state, "reply to"), code="forbidden")
    return parent


def reply_target(*, participant: Participant, answer_id: int) -> Answer:
    """The answer a reply form is for, if `participant` may reply to it now (the same checks
    as `reply_post`, read without a lock: the post checks them again)."""
    session = participant.session
    _check_live(session)
    return _replyable(session, participant, answer_id)


def vote_set(*, participant: Participant, answer_id: int, voted: bool | None) -> bool:
    """Upvote an answer (`voted` True) or take the vote back (False); None flips it. The room
    says the state wanted, not "toggle", so a repeated or stale click is harmless. Returns
    whether the participant now votes for it."""
    with transaction.atomic():
        session = _locked(participant.session)
        _check_live(session)
        answer = (
            Answer.objects.filter(pk=answer_id, session=session, hidden=False, pending=False)
            .exclude(reply_to__hidden=True)
            .exclude(reply_to__pending=True)
            .first()
        )
        if answer is None:
            raise SessionError("That answer does not exist.", code="not_found")
        if answer.participant_id == participant.pk:
            noun = "reply" if answer.is_reply else "answer"
            raise SessionError(f"You cannot upvote your own {noun}.", code="own_answer")
        state = QuestionState.objects.get(session=session, question_id=answer.question_id)
        root = answer.reply_to if answer.is_reply else answer
        if not selectors.may_read_answer(session, state, participant, root):
            raise SessionError(_unread_message(state, "vote on"), code="forbidden")
        votes = Vote.objects.filter(answer=answer, participant=participant)
        if voted is None:
            voted = not votes.exists()
        if voted:
            _, changed = Vote.objects.get_or_create(answer=answer, participant=participant)
        else:
            changed = bool(votes.delete()[0])
        if changed:
            _publish(session, Change(answers={_item(answer)}, voters={participant.pk}))
    return voted


def vote_toggle(*, participant: Participant, answer_id: int) -> bool:
    """Upvote, or take back an upvote already given (for scripts and tests)."""
    return vote_set(participant=participant, answer_id=answer_id, voted=None)


def _moderate(
    *, session: Session, by, answer_id: int, field: str, value: bool
) -> tuple[Answer, bool]:
    """Set a moderation flag on an answer; returns (answer, whether it changed)."""
    _check_moderator(session, by)
    with transaction.atomic():
        session = _locked(session)
        _check_live(session)
        answer = Answer.objects.select_for_update().filter(pk=answer_id, session=session).first()
        if answer is None:
            raise SessionError("That answer does not exist.", code="not_found")
        if field == "pinned" and answer.is_reply:
            raise _not_for_replies("pinned")
        if getattr(answer, field) == value:
            return answer, False
        setattr(answer, field, value)
        answer.save(update_fields=[field])
        counts = {answer.question_id} if field == "hidden" else set()
        own = _repliers([answer.pk]) if field == "hidden" else set()
        change = Change(answers={_item(answer)}, counts=counts, own=own)
        if field == "hidden" and value and session.spotlight_id == answer.pk:
            change = change.merge(Change(**_end_spotlight(session, timezone.now())))
        _publish(session, change)
    return answer, True


def _not_for_replies(what: str) -> SessionError:
    return SessionError(
        f"Only answers are {what}; a reply comes with the answer it replies to.",
        code="not_for_replies",
    )


def answer_set_hidden(*, session: Session, by, answer_id: int, hidden: bool) -> Answer:
    """Hide an answer from the board and every student (or bring it back)."""
    answer, _ = _moderate(session=session, by=by, answer_id=answer_id, field="hidden", value=hidden)
    return answer


def answer_set_pinned(*, session: Session, by, answer_id: int, pinned: bool) -> Answer:
    """Pin an answer: first and highlighted on the board."""
    answer, _ = _moderate(session=session, by=by, answer_id=answer_id, field="pinned", value=pinned)
    return answer


def answer_review(*, session: Session, by, answer_id: int, approve: bool) -> Answer:
    """Approve-first: let a waiting answer show (approve) or hide it for good (not approve)."""
    _check_moderator(session, by)
    with transaction.atomic():
        session = _locked(session)
        _check_live(session)
        answer = Answer.objects.select_for_update().filter(pk=answer_id, session=session).first()
        if answer is None:
            raise SessionError("That answer does not exist.", code="not_found")
        if not answer.pending:
            raise SessionError(
                "This answer is not waiting for review (it was approved or hidden already).",
                code="not_pending",
            )
        answer.pending = False
        answer.hidden = answer.hidden or not approve
        answer.save(update_fields=["pending", "hidden"])
        _publish(
            session,
            Change(
                answers={_item(answer)},
                counts={answer.question_id},
                own={(answer.participant_id, answer.question_id)} | _repliers([answer.pk]),
            ),
        )
    return answer


def answers_review_all(*, session: Session, by, number: int, approve: bool) -> int:
    """Approve (or hide) every answer to question `number` waiting for review; how many."""
    _check_moderator(session, by)
    with transaction.atomic():
        session = _locked(session)
        _check_live(session)
        question = _question(session, number)
        waiting = list(
            Answer.objects.select_for_update().filter(
                session=session, question=question, pending=True
            )
        )
        if not waiting:
            raise SessionError(
                f"No answer to question {number} is waiting for review.", code="not_pending"
            )
        ids = [a.pk for a in waiting]
        update = {"pending": False} | ({} if approve else {"hidden": True})
        Answer.objects.filter(pk__in=ids).update(**update)
        _publish(
            session,
            Change(
                answers={_item(a) for a in waiting},
                counts={question.pk},
                own={(a.participant_id, question.pk) for a in waiting} | _repliers(ids),
            ),
        )
    return len(ids)


# ---------------------------------------------------------------------------------------------
# Discussion: the answer on the board, and which answers were discussed


def _discussable(session: Session, answer_id: int, what: str) -> Answer:
    """An answer (not a reply: its thread comes with its answer) to spotlight or mark."""
    answer = Answer.objects.select_for_update().filter(pk=answer_id, session=session).first()
    if answer is None:
        raise SessionError("That answer does not exist.", code="not_found")
    if answer.is_reply:
        raise _not_for_replies(what)
    return answer


def _end_spotlight(session: Session, now) -> dict:
    """Take the spotlit answer off the board (the caller saves nothing else for it and
    publishes the returned Change fields)."""
    if session.spotlight_id is None:
        return {}
    ended = session.spotlight_id
    SpotlightLog.objects.filter(session=session, ended_at__isnull=True).update(ended_at=now)
    session.spotlight = None
    session.save(update_fields=["spotlight"])
    return {"spotlight": True, "answers": {ended}}


def answer_spotlight(*, session: Session, by, answer_id: int) -> Answer:
    """Put one answer on the board, large, for the class to discuss; it counts as discussed.
    The answer on the board before it leaves."""
    _check_moderator(session, by)
    with transaction.atomic():
        session = _locked(session)
        _check_live(session)
        answer = _discussable(session, answer_id, "spotlit")
        if answer.hidden:
            raise SessionError(
                "A hidden answer cannot go on the board. Unhide it first.", code="hidden_answer"
            )
        if answer.pending:
            raise SessionError(
                "This answer is waiting for review: approve it first.", code="pending_answer"
            )
        if session.spotlight_id == answer.pk:
            return answer
        now = timezone.now()
        before = _end_spotlight(session, now).get("answers", set())
        SpotlightLog.objects.create(session=session, answer=answer, started_at=now)
        if answer.discussed_at is None:
            answer.discussed_at = now
            answer.save(update_fields=["discussed_at"])
        session.spotlight = answer
        session.save(update_fields=["spotlight"])
        _publish(session, Change(spotlight=True, answers={answer.pk} | before))
    return answer


def spotlight_end(*, session: Session, by) -> Session:
    """Back from the spotlit answer to the step's own board."""
    _check_moderator(session, by)
    with transaction.atomic():
        session = _locked(session)
        _check_live(session)
        ended = _end_spotlight(session, timezone.now())
        if ended:
            _publish(session, Change(**ended))
    return session


def answer_set_discussed(*, session: Session, by, answer_id: int, discussed: bool) -> Answer:
    """Mark an answer discussed (or take the mark back) without putting it on the board."""
    _check_moderator(session, by)
    with transaction.atomic():
        session = _locked(session)
        _check_live(session)
        answer = _discussable(session, answer_id, "marked discussed")
        if (answer.discussed_at is not None) == discussed:
            return answer
        if discussed and (answer.hidden or answer.pending):
            raise SessionError(
                "Only an answer the class can see can be marked discussed.",
                code="hidden_answer",
            )
        if not discussed and session.spotlight_id == answer.pk:
            raise SessionError(
                "This answer is on the board now: end the spotlight first.", code="spotlit"
            )
        answer.discussed_at = timezone.now() if discussed else None
        answer.save(update_fields=["discussed_at"])
        _publish(session, Change(answers={answer.pk}))
    return answer


# ---------------------------------------------------------------------------------------------
# Rounds: a question run as think, pair, share, lock, each phase with an optional countdown

PHASES = ("think", "pair", "share", "lock")
COUNTDOWN_MIN, COUNTDOWN_MAX = 5, 60 * 60
COUNTDOWN_ADD = 30
TABLE_SIZES = range(2, 9)
TABLES_MAX = 60


def _round_state(session: Session, number: int) -> QuestionState:
    question = _question(session, number)
    return (
        QuestionState.objects.select_for_update()
        .select_related("question")
        .get(session=session, question=question)
    )


def _clean_seconds(seconds) -> int | None:
    if seconds in (None, "", 0, "0"):
        return None
    try:
        seconds = int(seconds)
    except (TypeError, ValueError):
        raise SessionError(
            "A countdown is a whole number of seconds.", code="invalid_timer"
        ) from None
    if not COUNTDOWN_MIN <= seconds <= COUNTDOWN_MAX:
        raise SessionError(
            f"A countdown runs from {COUNTDOWN_MIN} seconds to {COUNTDOWN_MAX // 60} minutes.",
            code="invalid_timer",
        )
    return seconds


def round_phase(
    *,
    session: Session,
    by,
    number: int,
    phase: str,
    seconds: int | str | None = None,
    advances: bool = False,
) -> QuestionState:
    """Run question `number` in `phase` ("think", "pair", "share" or "lock"; "" ends the
    round: the question behaves as one without a round), with a countdown of `seconds` if
    given, which moves to the next phase by itself at zero when `advances`. Pair seats the
    students present at tables the first time, unless they choose their own."""
    _check_facilitator(session, by)
    if phase not in ("", *PHASES):
        raise SessionError("Choose a phase: Think, Pair, Share or Lock.", code="invalid_phase")
    seconds = _clean_seconds(seconds)
    with transaction.atomic():
        session = _locked(session)
        _check_live(session)
        state = _round_state(session, number)
        if phase and not state.is_open:
            raise SessionError(
                f"Question {number} is closed: open it first, a round runs while it is open.",
                code="question_closed",
            )
        if phase == state.phase and seconds is None and not state.phase_ends_at:
            return state
        _enter_phase(session, state, phase, seconds, advances)
        _publish(session, Change(questions={state.question_id}, rounds={state.question_id}))
    return state


def _enter_phase(session, state: QuestionState, phase: str, seconds, advances: bool) -> None:
    state.phase = phase
    state.phase_ends_at = timezone.now() + timedelta(seconds=seconds) if seconds else None
    state.phase_paused_seconds = None
    state.phase_advances = bool(seconds) and advances and phase != PHASES[-1]
    if phase == "pair" and not state.tables_chosen and not state.seats.exists():
        _seat(session, state, state.table_size)
    state.save(update_fields=["phase", "phase_ends_at", "phase_paused_seconds", "phase_advances"])


def _seat(session: Session, state: QuestionState, size: int) -> None:
    """Seat the students here while the question is open at tables of `size`, in a shuffled
    order (neighbours are not always the same), the last table taking the one left over."""
    present = list(
        selectors.present_students(session, state=state.pk, question=state.question_id)
        .order_by()
        .values_list("pk", flat=True)
    )
    random.shuffle(present)
    count = max(1, len(present) // size)
    Seat.objects.filter(state=state).delete()
    Seat.objects.bulk_create(
        Seat(state=state, participant_id=pid, table=1 + min(i // size, count - 1))
        for i, pid in enumerate(present)
    )


def round_timer(*, session: Session, by, number: int, action: str) -> QuestionState:
    """The phase's countdown: "add" (30 seconds more), "pause", "resume", or "end" (now: the
    next phase, without a countdown; the last phase just stops counting)."""
    _check_facilitator(session, by)
    if action not in ("add", "pause", "resume", "end"):
        raise SessionError("Choose +30 s, Pause, Resume or End now.", code="invalid_timer")
    with transaction.atomic():
        session = _locked(session)
        _check_live(session)
        state = _round_state(session, number)
        if not state.phase:
            raise SessionError(f"Question {number} is not running as a round.", code="no_round")
        running = state.phase_ends_at is not None
        if action == "end":
            later = PHASES[PHASES.index(state.phase) + 1 :]
            if later:
                _enter_phase(session, state, later[0], None, False)
            else:
                state.phase_ends_at, state.phase_paused_seconds = None, None
                state.save(update_fields=["phase_ends_at", "phase_paused_seconds"])
            _publish(session, Change(questions={state.question_id}, rounds={state.question_id}))
            return state
        if not running:
            raise SessionError("This phase has no countdown.", code="no_countdown")
        now = timezone.now()
        paused = state.phase_paused_seconds is not None
        if action == "add":
            if paused:
                state.phase_paused_seconds = min(
                    state.phase_paused_seconds + COUNTDOWN_ADD, COUNTDOWN_MAX
                )
            else:
                state.phase_ends_at = min(
                    max(state.phase_ends_at, now) + timedelta(seconds=COUNTDOWN_ADD),
                    now + timedelta(seconds=COUNTDOWN_MAX),
                )
        elif action == "pause" and not paused:
            left = (state.phase_ends_at - now).total_seconds()
            state.phase_paused_seconds = max(0, math.ceil(left))
        elif action == "resume" and paused:
            state.phase_ends_at = now + timedelta(seconds=state.phase_paused_seconds)
            state.phase_paused_seconds = None
        else:
            return state
        state.save(update_fields=["phase_ends_at", "phase_paused_seconds"])
        _publish(session, Change(rounds={state.question_id}))
    return state


def rounds_advance_due(*, session_ids) -> int:
    """Phases whose countdown reached zero and that move on by themselves: the next phase,
    without a countdown. Called by any socket whose screen counted to zero and by the
    heartbeat; the server's clock decides, so it happens once, however many ask."""
    due = QuestionState.objects.filter(
        session_id__in=list(session_ids),
        phase_advances=True,
        phase_paused_seconds__isnull=True,
        phase_ends_at__lte=timezone.now(),
    ).values_list("session_id", "pk")
    moved = 0
    for session_id, state_id in list(due):
        with transaction.atomic():
            session = Session.objects.select_for_update().select_related("guide").get(pk=session_id)
            state = QuestionState.objects.select_for_update().get(pk=state_id)
            if not (
                session.is_live
                and state.phase_advances
                and state.phase_paused_seconds is None
                and state.phase_ends_at is not None
                and state.phase_ends_at <= timezone.now()
            ):
                continue
            _enter_phase(session, state, PHASES[PHASES.index(state.phase) + 1], None, False)
            _publish(session, Change(questions={state.question_id}, rounds={state.question_id}))
            moved += 1
    return moved


def seats_assign(*, session: Session, by, number: int, size: int | str) -> QuestionState:
    """Seat the students present at new tables of `size` (2 to 8) for the Pair phase."""
    _check_facilitator(session, by)
    try:
        size = int(size)
    except (TypeError, ValueError):
        size = 0
    if size not in TABLE_SIZES:
        raise SessionError(
            f"A table seats {TABLE_SIZES[0]} to {TABLE_SIZES[-1]} students.", code="invalid_table"
        )
    with transaction.atomic():
        session = _locked(session)
        _check_live(session)
        state = _round_state(session, number)
        state.table_size, state.tables_chosen = size, False
        state.save(update_fields=["table_size", "tables_chosen"])
        _seat(session, state, size)
        _publish(session, Change(questions={state.question_id}, rounds={state.question_id}))
    return state


def tables_open(*, session: Session, by, number: int, count: int | str) -> QuestionState:
    """Let students choose their own table for the Pair phase, one of `count` tables."""
    _check_facilitator(session, by)
    try:
        count = int(count)
    except (TypeError, ValueError):
        count = 0
    if not 1 <= count <= TABLES_MAX:
        raise SessionError(f"Choose 1 to {TABLES_MAX} tables.", code="invalid_table")
    with transaction.atomic():
        session = _locked(session)
        _check_live(session)
        state = _round_state(session, number)
        state.tables_chosen, state.table_count = True, count
        state.save(update_fields=["tables_chosen", "table_count"])
        Seat.objects.filter(state=state, table__gt=count).delete()
        _publish(session, Change(questions={state.question_id}, rounds={state.question_id}))
    return state


def seat_choose(*, participant: Participant, number: int, table: int | str) -> Seat:
    """A student picks their table for question `number`'s Pair phase."""
    with transaction.atomic():
        session = _locked(participant.session)
        _check_live(session)
        state = _round_state(session, number)
        if not state.tables_chosen:
            raise SessionError(
                "The facilitator seats the class for this question.", code="forbidden"
            )
        try:
            table = int(table)
        except (TypeError, ValueError):
            table = 0
        if not 1 <= table <= state.table_count:
            raise SessionError(
                f"Choose a table from 1 to {state.table_count}.", code="invalid_table"
            )
        seat, _ = Seat.objects.update_or_create(
            state=state, participant=participant, defaults={"table": table}
        )
        _publish(session, Change(questions={state.question_id}, rounds={state.question_id}))
    return seat


# ---------------------------------------------------------------------------------------------
# Notes and deletion (the summary's actions)

NOTE_MAX_LENGTH = 20000


def note_save(*, session: Session, by, step_key: str, text: str) -> StepNote:
    """Save the facilitator's notes on one agenda step (one row per step, updated in place).

    Allowed after the session ended: notes are often written up afterwards. Only the
    facilitator's screens show them (and the summary).
    """
    _check_facilitator(session, by)
    if step_key not in {step.key for step in selectors.agenda(session)}:
        raise SessionError("This session's agenda has no such step.", code="invalid_step")
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > NOTE_MAX_LENGTH:
        raise SessionError(
            f"Your notes are {len(text):,} characters; the limit is {NOTE_MAX_LENGTH:,}.",
            code="note_too_long",
        )
    if "\x00" in text:
        raise SessionError(
            "Your notes contain a character that cannot be saved.", code="invalid_text"
        )
    with transaction.atomic():
        session = _locked(session)
        note, _ = StepNote.objects.update_or_create(
            session=session, step_key=step_key, defaults={"text": text}
        )
        _publish(session, Change(notes=True))
    return note


def session_share(*, session: Session, by, username: str, shared: bool = True) -> Session:
    """Share the session with another facilitator's account (or stop sharing it): they see
    and run it from their own console. Only the session's own facilitator may."""
    _check_owner(session, by)
    from django.contrib.auth import get_user_model

    username = (username or "").strip()
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise SessionError(f"There is no account named “{username}”.", code="unknown_user")
    if user.pk == session.facilitator_id:
        raise SessionError("You already facilitate this session.", code="invalid_user")
    with transaction.atomic():
        session = _locked(session)
        already = session.co_facilitators.filter(pk=user.pk).exists()
        if already == shared:
            return session
        if shared:
            session.co_facilitators.add(user)
        else:
            session.co_facilitators.remove(user)
        _publish(session, Change(sharing=True, watchers=not shared))
    return session


def account_access_changed(*, user) -> None:
    """An account signed out, or its password or active flag changed (seminar/accounts.py):
    every live session it runs or was shared tells its consoles and moderator screens to check
    who may watch, so one that may no longer closes at once, on every worker."""
    sessions = Session.objects.filter(ended_at__isnull=True).filter(
        Q(facilitator_id=user.pk) | Q(co_facilitators__pk=user.pk)
    )
    for session_id in set(sessions.values_list("pk", flat=True)):
        with transaction.atomic():
            session = Session.objects.select_for_update().filter(pk=session_id).first()
            if session is not None:  # deleted meanwhile: its sockets were closed then
                _publish(session, Change(watchers=True))


def session_delete(*, session: Session, by) -> None:
    """Delete the session and everything in it, for good.

    Participants, their connections, answers, votes, notes, the step log and question states
    all go by CASCADE from Session (see models.py); the guide stays. A live session is ended
    first, so every open screen is told and its socket closed before the rows go. Only the
    facilitator who started it may.
    """
    _check_owner(session, by)
    if session.is_live:
        session_end(session=session, by=by)
    with transaction.atomic():
        Session.objects.filter(pk=session.pk).delete()
        transaction.on_commit(lambda: broadcast.gone(session.pk), robust=True)


# ---------------------------------------------------------------------------------------------
# Moderators: a link for a phone that approves, hides, pins and spotlights, and nothing else

MODERATOR_REVOKED = (
    "This moderator link was revoked. Ask the facilitator for a new one if you still moderate."
)
MODERATOR_ENDED = (
    "This session has ended, and its moderator links with it. The facilitator has the summary."
)
MODERATOR_TAKEN = (
    "This moderator link is already in use on another device. Ask the facilitator for a new one."
)


def moderator_link_create(*, session: Session, by) -> tuple[ModeratorLink, str]:
    """A new moderator link for this session; returns it and its token, which is shown once
    (to `by`) and never stored: the link keeps only its hash. The console's list follows."""
    _check_facilitator(session, by)
    with transaction.atomic():
        session = _locked(session)
        _check_live(session)
        token = secrets.token_urlsafe(24)  # 192 bits: not guessed, not even at no rate limit
        link = ModeratorLink.objects.create(
            session=session, token_hash=ModeratorLink.hash_token(token), created_by=by
        )
        _publish(session, Change(moderators=True))
    return link, token


def moderator_link_check(*, link: ModeratorLink, device_key: str | None) -> bool:
    """Whether this device holds the link already (True) or may claim it (False); raises
    when it may not: revoked, the session ended, or another device holds it."""
    if link.revoked_at is not None:
        raise SessionError(MODERATOR_REVOKED, code="forbidden")
    if link.claimed_at is not None:
        if device_key and secrets.compare_digest(link.device_key, device_key):
            return True
        raise SessionError(MODERATOR_TAKEN, code="forbidden")
    if not link.session.is_live:
        raise SessionError("This session has ended.", code="session_ended")
    return False


def moderator_link_claim(*, link: ModeratorLink, device_key: str) -> ModeratorLink:
    """Claim the link for the device with this key: from now on it moderates, and no other
    device does. The same device claiming again changes nothing."""
    if not device_key:
        raise SessionError("This device has no key to claim the link with.", code="invalid_device")
    with transaction.atomic():
        session = _locked(link.session)
        link = ModeratorLink.objects.select_for_update().select_related("session").get(pk=link.pk)
        if moderator_link_check(link=link, device_key=device_key):
            return link
        link.claimed_at = timezone.now()
        link.device_key = device_key
        link.save(update_fields=["claimed_at", "device_key"])
        _publish(session, Change(moderators=True))
    return link


def moderator_link_revoke(*, session: Session, by, link_id: int) -> ModeratorLink:
    """Revoke a moderator link: its device's next request is refused, and its open moderator
    page is closed (its socket checks its link again on this change)."""
    _check_facilitator(session, by)
    with transaction.atomic():
        session = _locked(session)
        link = ModeratorLink.objects.select_for_update().filter(pk=link_id, session=session).first()
        if link is None:
            raise SessionError("This session has no such moderator link.", code="not_found")
        if link.revoked_at is not None:
            return link
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
        _publish(session, Change(moderators=True, watchers=True))
    return link
