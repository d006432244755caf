"""Screens as regions: what the room, the board and the console show, one function per region.

Each region is an element with a stable id, rendered by exactly one function of (session
state, audience) below. A page is its regions laid out by its template; a socket's snapshot is
the same regions concatenated; a live frame is the regions a change touched (see `message`).
So a screen updated live and a fresh load of it are made by the same code, and a region a
change touches cannot be forgotten by one of the three paths.

Live frames also carry list-item operations, so a class of hundreds does not re-render a whole
answer list per answer: an item with `data-into="answers-3"` replaces the element with its id
or is appended to that list, and `<i id=… data-remove>` removes one. live.js sorts a list by
the same key as `answer_sort_key`, so an upserted item lands where a reload puts it. A list
whose items are all sent again (a word cloud's terms, `board_terms`) comes with
`<i data-prune="list" data-keep="ids">`: its other items leave; unchanged ones stay as they are.
"""

import html
import uuid
from functools import cached_property

from django import conf
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from seminar import audiences, selectors, terms
from seminar.agenda import PAGED_STEPS
from seminar.audiences import BOARD, FACILITATOR, MODERATOR, STUDENTS, Facts
from seminar.changes import Change
from seminar.models import Answer, Participant, QuestionState, Seat, Session, Vote
from seminar.participation import participation as participation_of


def render(template_name: str, context: dict, request=None) -> str:
    """The one place region HTML is rendered (tests count calls to prove render-once)."""
    return render_to_string(template_name, context, request=request)


# Approve-first's two answers to a waiting answer: the form value and the button's label.
REVIEW_CHOICES = (("1", "Approve"), ("0", "Hide"))

# The console's choice of countdowns for a phase: (seconds, label).
COUNTDOWNS = (
    (30, "30 s"),
    (60, "1 min"),
    (120, "2 min"),
    (180, "3 min"),
    (300, "5 min"),
    (600, "10 min"),
)

# What a reply does, as its button says, and the sentence it starts with (the student's to
# change): a nudge towards replies that move the discussion on.
REPLY_MOVES = (
    (Answer.Move.BUILD, Answer.Move.BUILD.label, "Building on this, "),
    (Answer.Move.CHALLENGE, Answer.Move.CHALLENGE.label, "I see it differently: "),
    (Answer.Move.QUESTION, Answer.Move.QUESTION.label, "Could you say more about "),
)


def answer_sort_key(answer: Answer, order: str) -> tuple:
    """Waiting for review first (only the console lists those), then pinned, then most votes
    (when asked), then newest: live.js sorts lists the same."""
    votes = answer.vote_count if order == "votes" else 0
    return (
        not answer.pending,
        not answer.pinned,
        -votes,
        -int(answer.created_at.timestamp()),
        -answer.pk,
    )


class State:
    """What a session's screens show, read once per render and loaded part by part.

    The session row (with its version) is read first and everything else after it, so what is
    rendered is at least as new as the version it is labelled with; a frame that is newer
    than its label is harmless, because clients apply frames in version order and every
    region is always rendered whole from the database.
    """

    def __init__(self, session: Session, request=None):
        self.session = session
        self.request = request
        self._answers: dict[int, list[Answer]] = {}
        self._terms: dict[int, list[terms.Term]] = {}

    @classmethod
    def load(cls, session_id: int, request=None) -> "State":
        session = Session.objects.select_related("guide", "facilitator").get(pk=session_id)
        return cls(session, request)

    @property
    def version(self) -> int:
        return self.session.version

    def render(self, template_name: str, **context) -> str:
        return render(
            template_name,
            {
                "session": self.session,
                "guide": self.session.guide,
                "review_choices": REVIEW_CHOICES,
                "reply_moves": REPLY_MOVES,
                **context,
            },
            self.request,
        )

    @cached_property
    def steps(self):
        return selectors.agenda(self.session)

    @cached_property
    def step(self):
        return selectors.current_step(self.session)

    @cached_property
    def question_states(self):
        return selectors.question_states(self.session)

    @cached_property
    def states_by_question(self):
        return {state.question_id: state for state in self.question_states}

    @property
    def focus(self):
        """The question state the step is on, if it is on one."""
        if self.step.kind != "question":
            return None
        return self.states_by_question.get(self.step.obj.pk)

    @cached_property
    def facts(self) -> Facts:
        return Facts(
            answer_first=self.session.answer_first,
            question_ids=tuple(s.question_id for s in self.question_states),
            revealed=frozenset(s.question_id for s in self.question_states if s.was_closed),
            phases=tuple((s.question_id, s.phase) for s in self.question_states if s.phase),
        )

    def tables(self, state) -> dict[int, list[int]]:
        """A question's Pair tables: number -> participant ids."""
        key = ("tables", state.pk)
        if key not in self.__dict__:
            self.__dict__[key] = selectors.tables(state)
        return self.__dict__[key]

    def names(self) -> dict[int, str]:
        if "_names" not in self.__dict__:
            self.__dict__["_names"] = dict(self.session.participants.values_list("pk", "name"))
        return self.__dict__["_names"]

    @cached_property
    def participants(self):
        return selectors.participants_with_presence(self.session)

    @cached_property
    def online(self) -> int:
        if "participants" in self.__dict__:
            return sum(1 for p in self.participants if p.online)
        return selectors.online_count(self.session)

    def answers(self, question_id: int, *, include_hidden: bool = False) -> list[Answer]:
        """A question's answers with their votes (hidden and waiting ones only when asked),
        unsorted."""
        if question_id not in self._answers:
            self._answers[question_id] = selectors.with_threads(
                selectors.answers_with_votes(
                    self.session, question=question_id, include_hidden=True
                )
            )
        answers = self._answers[question_id]
        return answers if include_hidden else [a for a in answers if a.shown]

    def sorted_answers(self, question_id: int, order: str, *, include_hidden=False):
        answers = self.answers(question_id, include_hidden=include_hidden)
        return sorted(answers, key=lambda a: answer_sort_key(a, order))

    def terms(self, question_id: int) -> list[terms.Term]:
        """The key terms of a question's answers the class sees (seminar/terms.py), computed
        once per render however many regions and audiences show them."""
        if question_id not in self._terms:
            texts = selectors.answer_texts(self.session, question_id)
            self._terms[question_id] = terms.key_terms(texts)
        return self._terms[question_id]

    @cached_property
    def spotlight(self) -> Answer | None:
        """The answer on the board for discussion, with its votes, question and author."""
        if self.session.spotlight_id is None:
            return None
        return selectors.answer_with_votes(self.session.spotlight_id)

    @cached_property
    def show_names_publicly(self) -> bool:
        return not self.session.names_hidden


# ---------------------------------------------------------------------------------------------
# Regions shared by several screens


def presence(st: State) -> str:
    return st.render("seminar/fragments.html#presence", online=st.online)


def ended(st: State) -> str:
    return st.render("seminar/fragments.html#ended")


def question_state(st: State, state) -> str:
    return st.render("seminar/fragments.html#question-state", state=state)


def round_bar(st: State, state) -> str:
    """A question's round as the class sees it (the room and the board): the phase and its
    countdown, counted by live.js to the server's deadline."""
    paused = state.phase_paused_seconds
    return st.render(
        "seminar/fragments.html#round",
        state=state,
        now_ms=_now_ms(),
        ends_ms=int(state.phase_ends_at.timestamp() * 1000) if state.phase_ends_at else None,
        paused=f"{paused // 60}:{paused % 60:02d}" if paused is not None else "",
    )


def _now_ms() -> int:
    return int(timezone.now().timestamp() * 1000)


def pair_lists(st: State, state) -> list[tuple[list[str], str]]:
    """A question's Pair phase for the room: each table's answers, rendered once and sent to
    the table's members; one rendering for the students not seated."""
    tables = st.tables(state)
    seated = {pid for members in tables.values() for pid in members}
    out = [
        (
            [audiences.participant(pid) for pid in members],
            room_answers(st, state, may_read=False, table=table),
        )
        for table, members in sorted(tables.items())
    ]
    unseated = [audiences.participant(pid) for pid in st.names() if pid not in seated]
    if unseated:
        out.append((unseated, room_answers(st, state, may_read=False, table=None)))
    return out


def removal(answer_id: int) -> str:
    return format_html('<i id="answer-{}" data-remove hidden></i>', answer_id)


def answer_item(st: State, answer: Answer, audience: str, *, into: str = "", marks=None) -> str:
    """One answer for `audience` ("student", "board" or "facilitator")."""
    mine_ids, voted_ids = marks or ((), ())
    return st.render(
        "seminar/fragments.html#answer-item",
        answer=answer,
        audience=audience,
        show_names=audience == "facilitator" or st.show_names_publicly,
        into=into,
        mine_ids=mine_ids,
        voted_ids=voted_ids,
    )


# ---------------------------------------------------------------------------------------------
# The room (students)


def room_stage(st: State) -> str:
    return st.render(
        "seminar/room.html#stage", step=st.step, state=st.focus, spotlight=st.spotlight
    )


def mine(
    st: State,
    question,
    answer: Answer | None,
    *,
    error: str | None = None,
    draft: str = "",
    token=None,
    editing: bool = False,
    replies=(),
    reply_error: dict | None = None,
) -> str:
    """A student's own answer box for `question`: their answer, or the form (with an error and
    their text when a post was refused), and their replies to classmates, to edit."""
    replies = list(replies)
    for reply in replies:  # the refused edit's message and text go back in its own form
        reply.failed = reply_error if reply_error and reply_error["pk"] == reply.pk else None
    return st.render(
        "seminar/room.html#mine",
        question=question,
        mine=answer,
        my_replies=replies,
        error=error,
        draft=draft,
        token=token or uuid.uuid4(),
        editing=editing,
    )


def room_answers(st: State, state, *, may_read: bool, marks=None, table: int | None = None) -> str:
    """Classmates' answers to one question as a student sees them: the list, or the gate. In a
    round's Pair phase, the answers of the student's `table` (None: not seated)."""
    answers = ()
    mine_ids, voted_ids = marks or ((), ())
    tablemates = ()
    if state.phase == "pair":
        members = st.tables(state).get(table, []) if table else []
        names = st.names()
        tablemates = sorted(names.get(pid, "") for pid in members)
        answers = [
            selectors.thread_among(a, members)
            for a in st.sorted_answers(state.question_id, "votes")
            if a.participant_id in members
        ]
    elif may_read:
        answers = st.sorted_answers(state.question_id, "votes")
    return st.render(
        "seminar/room.html#answers",
        question=state.question,
        state=state,
        table=table,
        tablemates=tablemates,
        table_numbers=range(1, state.table_count + 1),
        may_read=may_read,
        answers=answers,
        audience="student",
        show_names=st.show_names_publicly,
        mine_ids=mine_ids,
        voted_ids=voted_ids,
    )


def me(st: State, mine_ids, voted_ids) -> str:
    return st.render("seminar/room.html#me", mine_ids=sorted(mine_ids), voted_ids=sorted(voted_ids))


class Student:
    """One student's own state: their answers and replies, their votes, and what answer-first
    lets them read."""

    def __init__(self, participant: Participant, answers=None, voted=None, seats=None):
        self.participant = participant
        if answers is None:
            answers = participant.answers.select_related("reply_to").order_by("created_at", "pk")
        self.answers: dict[int, Answer] = {}
        self.replies: dict[int, list[Answer]] = {}
        for a in answers:
            if a.is_reply:
                self.replies.setdefault(a.question_id, []).append(a)
            else:
                self.answers[a.question_id] = a
        self.voted = selectors.voted_answer_ids(participant) if voted is None else voted
        self._seats = seats

    @cached_property
    def seats(self) -> dict[int, int]:
        """Question id -> their table in its Pair phase."""
        if self._seats is not None:
            return self._seats
        return dict(
            Seat.objects.filter(participant=self.participant).values_list(
                "state__question_id", "table"
            )
        )

    @classmethod
    def many(cls, session: Session, participant_ids) -> dict[int, "Student"]:
        """Several students at once, in three queries however many (a tick's authors)."""
        if not participant_ids:
            return {}
        participants = Participant.objects.filter(session=session, pk__in=participant_ids)
        answers: dict[int, list[Answer]] = {}
        mine = Answer.objects.filter(participant_id__in=participant_ids)
        for answer in mine.select_related("reply_to").order_by("created_at", "pk"):
            answers.setdefault(answer.participant_id, []).append(answer)
        voted: dict[int, set[int]] = {}
        for pid, answer_id in Vote.objects.filter(participant_id__in=participant_ids).values_list(
            "participant_id", "answer_id"
        ):
            voted.setdefault(pid, set()).add(answer_id)
        return {p.pk: cls(p, answers.get(p.pk, ()), voted.get(p.pk, set())) for p in participants}

    @property
    def answered(self) -> frozenset[int]:
        return frozenset(self.answers)

    @property
    def answer_ids(self) -> set[int]:
        """Their answers' and replies' ids: the overlay marks them theirs."""
        replies = {r.pk for thread in self.replies.values() for r in thread}
        return {a.pk for a in self.answers.values()} | replies

    def box(self, st: "State", question, **kwargs) -> str:
        """Their own box for `question`: their answer and their replies, each reply with the
        words it answers when they may read them now."""
        own = self.answers.get(question.pk)
        replies = self.replies.get(question.pk, ())
        for reply in replies:
            reply.quote = reply.reply_to.text if self.reads(st, reply.reply_to) else ""
        return mine(st, question, own, replies=replies, **kwargs)

    def reads(self, st: "State", answer: Answer) -> bool:
        """May they read this answer now? The one rule for every place a screen shows another
        student's words: their own always; a classmate's only while it is shown, and as the
        question's lists allow (a round's Think: none; Pair: their table's; otherwise
        answer-first's gate). The lists apply it by audience (`readers-Q`, a table's members);
        a quote in their own box by this."""
        if answer.participant_id == self.participant.pk:
            return True
        if not answer.shown:
            return False
        state = st.states_by_question[answer.question_id]
        if state.phase == "pair":
            table = self.seats.get(state.question_id)
            return table is not None and answer.participant_id in st.tables(state).get(table, ())
        return self.may_read(st, state)

    def may_read(self, st: State, state) -> bool:
        return audiences.may_read(
            answer_first=st.session.answer_first,
            revealed=state.was_closed,
            answered=state.question_id in self.answers,
            phase=state.phase,
        )

    def answers_region(self, st: State, state, marks=None) -> str:
        return room_answers(
            st,
            state,
            may_read=self.may_read(st, state),
            marks=marks,
            table=self.seats.get(state.question_id),
        )


def room(st: State, participant: Participant, *, failed: dict | None = None) -> dict:
    """Every region of a student's room. `failed` maps a question number to the refused
    post's {"error", "draft", "token"}, shown in that question's box."""
    student = Student(participant)
    marks = (student.answer_ids, student.voted)
    questions = []
    for state in st.question_states:
        box = (failed or {}).get(state.question.number)
        own = student.answers.get(state.question_id)
        questions.append(
            {
                "number": state.question.number,
                "state": question_state(st, state),
                "mine": student.box(st, state.question, **box, editing=own is not None)
                if box
                else student.box(st, state.question),
                "round": round_bar(st, state),
                "answers": student.answers_region(st, state, marks),
            }
        )
    return {
        "presence": presence(st),
        "ended": ended(st),
        "stage": room_stage(st),
        "questions": questions,
        "me": me(st, *marks),
        "student": student,
    }


# ---------------------------------------------------------------------------------------------
# The board (projector)


def board_item(st: State, answer: Answer, *, into: str = "") -> str:
    return answer_item(st, answer, "board", into=into)


def board_stage(st: State) -> str:
    focus = st.focus
    answers = ()
    # A round's Think and Pair phases keep answers off the board (and their words): the room
    # can see it.
    private = focus is not None and focus.phase in audiences.PRIVATE_PHASES
    cloud = board_cloud(st)
    if board_lists(st):
        answers = st.sorted_answers(focus.question_id, st.session.board_order)
    return st.render(
        "seminar/board.html#stage",
        step=st.step,
        state=focus,
        private=private,
        round_bar=round_bar(st, focus) if focus is not None else "",
        question_state=question_state(st, focus) if focus is not None else "",
        answers=answers[: conf.settings.SEMINAR_BOARD_ANSWERS],
        answer_total=len(answers),
        spotlight=st.spotlight,
        audience="board",
        show_names=st.show_names_publicly,
        cloud=cloud,
        terms=st.terms(focus.question_id) if cloud else (),
    )


def board_lists(st: State) -> bool:
    """Whether the board lists the answers of the question on screen: not while they are
    private (Think, Pair), nor while the spotlight or the word cloud has the stage."""
    focus = st.focus
    return (
        focus is not None
        and st.session.spotlight_id is None
        and focus.phase not in audiences.PRIVATE_PHASES
        and not board_cloud(st)
    )


def board_cloud(st: State) -> bool:
    """Whether the board shows the word cloud of the question on screen (not while an answer
    is in the spotlight: that is the whole stage)."""
    focus = st.focus
    return (
        focus is not None
        and focus.board_view == QuestionState.BoardView.CLOUD
        and st.session.spotlight_id is None
        and focus.phase not in audiences.PRIVATE_PHASES
    )


def board_terms(st: State, state) -> str:
    """The cloud's terms as list items, upserted one by one, and the ids to keep (a term that
    left the top drops out): a new answer does not redraw the cloud, and the browser swaps
    only the items that changed (live.js)."""
    number = state.question.number
    return st.render(
        "seminar/board.html#term-items",
        terms=st.terms(state.question_id),
        number=number,
        into=f"terms-{number}",
    )


def board_turns(st: State) -> str:
    return st.render("seminar/board.html#turns")


def board(st: State) -> dict:
    return {
        "presence": presence(st),
        "ended": ended(st),
        "stage": board_stage(st),
        "turns": board_turns(st),
    }


def round_controls(st: State, state) -> str:
    return st.render(
        "seminar/console.html#round-controls",
        state=state,
        question=state.question,
        round_bar=round_bar(st, state),
        tables=st.tables(state) if state.phase == "pair" else {},
        countdowns=COUNTDOWNS,
        table_sizes=range(2, 9),
    )


# ---------------------------------------------------------------------------------------------
# The console (facilitator)


def console_head(st: State) -> str:
    return st.render("seminar/console.html#head")


def agenda(st: State) -> str:
    return st.render(
        "seminar/console.html#agenda",
        step=st.step,
        steps=st.steps,
        state=st.focus,
        paged_steps=PAGED_STEPS,
        spotlight=st.spotlight,
    )


def agenda_nav(st: State) -> str:
    return st.render("seminar/console.html#agenda-nav", step=st.step, steps=st.steps)


def notes(st: State) -> str:
    text = (
        st.session.notes.filter(step_key=st.step.key).values_list("text", flat=True).first() or ""
    )
    return st.render("seminar/console.html#notes", step=st.step, note_text=text)


def people(st: State) -> str:
    return st.render(
        "seminar/console.html#people",
        participants=st.participants,
        online=st.online,
        names=name_items(st.participants),
    )


def name_items(people) -> SafeString:
    """The items of a list of names on the console (who is here, present but silent), each
    with its here-now dot. Built here, every name escaped (`html.escape`, what Django's own
    escaping calls): a template loop, or format_html per item, over a class of 1,000 took
    longer than the rest of its panel together, and these lists are rendered again whenever
    someone comes or goes or speaks up."""
    items = []
    for p in people:
        here = "is-online" if p.online else "is-away"
        voted = ' <span class="muted">(voted)</span>' if getattr(p, "voted", False) else ""
        status = "(online)" if p.online else "(away)"
        items.append(
            f'<li class="{here}"><span class="dot" aria-hidden="true"></span> '
            f'{html.escape(p.name)}{voted} <span class="visually-hidden">{status}</span></li>'
        )
    return mark_safe("".join(items))  # noqa: S308 - every name above is escaped


def settings(st: State) -> str:
    return st.render("seminar/console.html#settings")


def sharing(st: State) -> str:
    return st.render(
        "seminar/console.html#sharing",
        co_facilitators=list(st.session.co_facilitators.order_by("username")),
    )


def moderators(st: State) -> str:
    """The console's list of moderator links (the links themselves are shown once, to whoever
    made one, never in a region: see views.console.moderator_link_create)."""
    return st.render(
        "seminar/console.html#moderators",
        links=list(st.session.moderator_links.all()),
    )


def question_controls(st: State, state) -> str:
    return st.render(
        "seminar/console.html#question-controls",
        state=state,
        question=state.question,
        board_views=QuestionState.BoardView.choices,  # its board view switch
    )


def review(st: State, state) -> str:
    """A question's approve-first queue on the console: how many wait, "Approve all"."""
    return st.render("seminar/console.html#review", state=state, question=state.question)


def missing(st: State, state) -> str:
    return st.render(
        "seminar/console.html#missing",
        question=state.question,
        state=state,
        missing=selectors.not_answered(st.session, state),
    )


def participation(st: State) -> str:
    """Who got heard (seminar/participation.py): the facilitator's alone, never rendered for
    the board, the room or a moderator's phone. Silent students here now are marked, so the
    facilitator sees whom to invite."""
    if "participants" in st.__dict__:  # read already (who is here): no second query
        online = {p.pk for p in st.participants if p.online}
    else:
        online = set(selectors.online_participant_ids(st.session))
    figures = participation_of(st.session, online=online)
    return st.render(
        "seminar/console.html#participation",
        participation=figures,
        silent_names=name_items(figures.silent_students),
    )


def cloud_panel(st: State, state) -> str:
    """A question's key terms, which filter its answers on the console (live.js)."""
    return st.render(
        "seminar/console.html#cloud-panel",
        state=state,
        question=state.question,
        terms=st.terms(state.question_id),
    )


def console_terms(st: State, state) -> str:
    """The console's term buttons of a question, item by item (as `board_terms`)."""
    number = state.question.number
    return st.render(
        "seminar/console.html#term-buttons",
        terms=st.terms(state.question_id),
        question=state.question,
        into=f"cterms-{number}",
    )


def facilitator_item(st: State, answer: Answer, *, into: str = "") -> str:
    return answer_item(st, answer, "facilitator", into=into)


def moderation_list(st: State, state) -> str:
    return st.render(
        "seminar/console.html#moderation-list",
        question=state.question,
        answers=st.sorted_answers(state.question_id, "newest", include_hidden=True),
        audience="facilitator",
        show_names=True,
    )


def console(st: State) -> dict:
    return {
        "head": console_head(st),
        "ended": ended(st),
        "agenda": agenda(st),
        "notes": notes(st),
        "agenda_nav": agenda_nav(st),
        "people": people(st),
        "participation": participation(st),
        "settings": settings(st),
        "sharing": sharing(st),
        "moderators": moderators(st),
        "questions": [
            {
                "number": state.question.number,
                "text": state.question.text,
                # On screen now: its card comes first and whole (live.js keeps it so).
                "current": st.focus is not None and st.focus.question_id == state.question_id,
                "controls": question_controls(st, state),
                "round": round_controls(st, state),
                "review": review(st, state),
                "missing": missing(st, state),
                "cloud": cloud_panel(st, state),
                "answers": moderation_list(st, state),
            }
            for state in st.question_states
        ],
    }


# ---------------------------------------------------------------------------------------------
# The moderator's phone: the console's answers and approve-first queue, the room's question
# states, and its own spotlight and "Approve all" controls. Never the console's notes, people,
# sharing, settings or step controls: its socket gets only the parts made for MODERATOR.


def moderator_spotlight(st: State) -> str:
    return st.render("seminar/moderate.html#spotlight", spotlight=st.spotlight)


def moderator_review(st: State, state) -> str:
    return st.render("seminar/moderate.html#review", state=state, question=state.question)


def moderator(st: State) -> dict:
    return {
        "ended": ended(st),
        "spotlight": moderator_spotlight(st),
        "questions": [
            {
                "number": state.question.number,
                "state": question_state(st, state),
                "review": moderator_review(st, state),
                "answers": moderation_list(st, state),
            }
            for state in st.question_states
        ],
    }


def moderator_parts(st: State, c: Change) -> list:
    """The moderator's own regions of a message (what it shares with the console and the room,
    `message` sends it with `add(..., moderator=True)`)."""
    out = []
    if c.spotlight or c.ended or st.session.spotlight_id in c.answers:
        out.append([MODERATOR, moderator_spotlight(st)])
    for qid in sorted(c.counts | c.questions):
        out.append([MODERATOR, moderator_review(st, st.states_by_question[qid])])
    return out


# ---------------------------------------------------------------------------------------------
# Snapshots: every region of a screen, for a socket that (re)connects


def _flatten(regions: dict) -> str:
    parts = []
    for key, value in regions.items():
        if key == "questions":
            for q in value:
                parts += [v for k, v in q.items() if k not in {"number", "text", "current"}]
        elif isinstance(value, str):
            parts.append(value)
    return "".join(parts)


def snapshot(st: State, role: str, participant: Participant | None = None) -> dict:
    """{"html", "version", "facts", "answered"} for a socket of `role`."""
    mark = f"<!--v:{st.version} snapshot-->"
    if role == "board":
        return {"html": mark + _flatten(board(st)), "version": st.version}
    if role == "facilitator":
        return {"html": mark + _flatten(console(st)), "version": st.version}
    if role == "moderator":
        return {"html": mark + _flatten(moderator(st)), "version": st.version}
    regions = room(st, participant)
    return {
        "html": mark + _flatten(regions),
        "version": st.version,
        "facts": st.facts,
        "answered": regions["student"].answered,
    }


# ---------------------------------------------------------------------------------------------
# Live frames: the regions a change touched, once per audience


# Every audience a process may serve; `message` renders for those with a socket here.
EVERYONE = frozenset({STUDENTS, BOARD, FACILITATOR, MODERATOR})


def message(
    st: State,
    first: int,
    last: int,
    change: Change,
    *,
    here: frozenset[str] = EVERYONE,
) -> dict:
    """The one message that brings every socket of a session from version `first - 1` to
    `last`: `change` is what versions `first`..`last` touched, merged (seminar/ticks.py), and
    every region it names is rendered whole from the database as it is now (at least `last`).

    `here` is who has a socket in this process (STUDENTS, BOARD, FACILITATOR, MODERATOR): a
    region nobody here shows is not rendered (a socket that connects later gets a snapshot).
    The panels (`panel_parts`) are not in it: they follow as a `refresh` (seminar/ticks.py).

    `parts` is a list of [audience, html], where an audience may also be a list of students'
    own audiences sharing one part; each socket sends its client the parts of the audiences
    it is in (seminar/delivery.py). Every part is rendered from the same state, so their
    order does not matter. `facts` and `answered` come along when a change may move students
    between the readers and waiting audiences of a question.
    """
    c = change
    all_qids = set(st.states_by_question)
    counts = _counted(st, c)
    # Whether students may read a question's answers can change for everyone at once.
    relisted = c.questions | (all_qids if c.settings else set())
    focus = st.focus
    parts: list[list[str]] = []
    students, board, console, moderating = (a in here for a in EVERYONE_ORDER)

    def add(audience: str | list[str], html: str, *, moderator: bool = False) -> None:
        """`moderator`: the moderator's phone shows this region too (the same rendering)."""
        parts.append([audience, html])
        if moderator and moderating:
            parts.append([MODERATOR, html])

    # Shared by every screen
    if c.presence and (students or board):
        html = presence(st)
        add(STUDENTS, html)
        add(BOARD, html)
    if c.ended:
        html = ended(st)
        for audience in (STUDENTS, BOARD, FACILITATOR):
            add(audience, html, moderator=audience == STUDENTS)
        add(FACILITATOR, console_head(st))

    # The room (students, and the moderator's question headers)
    if students:
        if c.step or c.questions or c.spotlight:
            add(STUDENTS, room_stage(st))
        for qid in sorted(c.rounds):
            add(STUDENTS, round_bar(st, st.states_by_question[qid]))
    if students or moderating:
        for qid in sorted(counts):
            add(STUDENTS, question_state(st, st.states_by_question[qid]), moderator=True)
    pairing = {qid for qid, state in st.states_by_question.items() if state.phase == "pair"}
    if students:
        for qid in sorted(relisted - pairing):
            state = st.states_by_question[qid]
            add(audiences.readers(qid), room_answers(st, state, may_read=True))
            add(audiences.waiting(qid), room_answers(st, state, may_read=False))

    found = {}
    if c.answers:
        found = {
            a.pk: a
            for a in selectors.with_threads(
                selectors.answers_with_votes(st.session, include_hidden=True).filter(
                    pk__in=c.answers
                )
            )
        }

    # The board
    board_whole = (
        c.step
        or c.settings
        or c.spotlight
        or (focus is not None and focus.question_id in c.questions)
        or (focus is not None and focus.question_id in c.board_views)
        # The spotlit answer's votes or replies changed: it is the board's whole stage.
        or (st.session.spotlight_id is not None and st.session.spotlight_id in c.answers)
    )
    listed = board_lists(st)
    if not board_whole and listed and c.answers:
        # At the board's limit an answer going in or out moves others across it: the whole
        # list, which is bounded, instead of items.
        touched = c.counts | {a.question_id for a in found.values()}
        board_whole = (
            focus.question_id in touched
            and focus.answer_count >= conf.settings.SEMINAR_BOARD_ANSWERS
        )
    if board:
        if board_whole:
            add(BOARD, board_stage(st))
        elif focus is not None and focus.question_id in c.rounds:
            add(BOARD, round_bar(st, focus))
        if c.board_turn:
            add(BOARD, board_turns(st))
        elif focus is not None and focus.question_id in counts:
            add(BOARD, question_state(st, focus))

    # The console
    if console:
        if c.step or c.questions or c.spotlight:
            add(FACILITATOR, agenda(st))
        if c.step:
            add(FACILITATOR, agenda_nav(st))
        if c.step or c.notes:
            add(FACILITATOR, notes(st))
        if c.settings:
            add(FACILITATOR, settings(st))
        if c.sharing:
            add(FACILITATOR, sharing(st))
        if c.moderators:
            add(FACILITATOR, moderators(st))
        for qid in sorted(c.questions | c.board_views):
            add(FACILITATOR, question_controls(st, st.states_by_question[qid]))
        for qid in sorted(c.rounds | c.questions):
            add(FACILITATOR, round_controls(st, st.states_by_question[qid]))
        for qid in sorted(counts):
            add(FACILITATOR, review(st, st.states_by_question[qid]))

    # Answers, item by item, for whoever may see each
    for answer_id in sorted(c.answers):
        answer = found.get(answer_id)
        if answer is None:  # deleted
            for audience in (STUDENTS, BOARD, FACILITATOR):
                add(audience, removal(answer_id), moderator=audience == FACILITATOR)
            continue
        qid, list_id = answer.question_id, f"answers-{answer.question.number}"
        on_board = board and listed and not board_whole and focus.question_id == qid
        if not answer.shown:
            add(audiences.readers(qid), removal(answer_id))
            if on_board:
                add(BOARD, removal(answer_id))
        else:
            if students and qid not in relisted:
                add(audiences.readers(qid), answer_item(st, answer, "student", into=list_id))
            if on_board:
                add(BOARD, board_item(st, answer, into=list_id))
        if console or moderating:
            html = facilitator_item(st, answer, into=list_id)
            if console:
                add(FACILITATOR, html)
            if moderating:
                add(MODERATOR, html)

    # Each student's own things, to their own tabs (rendered once per author, not per socket)
    answered = {}
    own_questions: dict[int, set[int]] = {}
    # A round's phase or seats, a question closing, answer-first: who may read an answer moved,
    # and with it the quotes in its repliers' own boxes.
    own = c.own | (selectors.repliers_to_others(c.rounds | relisted) if students else set())
    for pid, qid in own | c.access:
        own_questions.setdefault(pid, set()).add(qid)
    # Answer-first: students whose post (or deletion) opened (or closed) a question's gate
    # this tick share one rendering of it, however many posted.
    gates: dict[tuple[int, bool], list[str]] = {}
    authors = Student.many(st.session, set(own_questions) | c.voters) if students else {}
    for pid in sorted(authors):
        student = authors[pid]
        audience = audiences.participant(pid)
        for qid in sorted(own_questions.get(pid, ())):
            state = st.states_by_question[qid]
            if (pid, qid) in own:
                add(audience, student.box(st, state.question))
            if (pid, qid) not in c.access:
                continue
            # Every socket of theirs keeps what they answered, to pick its audiences by.
            answered[str(pid)] = sorted(student.answered)
            if (
                st.session.answer_first
                and not state.was_closed
                and not state.phase  # a round's phase decides, not their answer
                and qid not in relisted
            ):
                gates.setdefault((qid, student.may_read(st, state)), []).append(audience)
        add(audience, me(st, student.answer_ids, student.voted))
    for (qid, may_read), members in sorted(gates.items()):
        add(members, room_answers(st, st.states_by_question[qid], may_read=may_read))

    # Pair: each table's answers, to its members, whenever they or the seating may change.
    touched = {a.question_id for a in found.values()}
    if students:
        for qid in sorted(pairing):
            if qid in relisted | c.rounds | c.counts | touched or c.presence:
                for members, html in pair_lists(st, st.states_by_question[qid]):
                    add(members, html)

    if moderating:
        parts += moderator_parts(st, c)

    return {
        "type": "change",
        "from": first,
        "version": last,
        "parts": parts,
        "facts": st.facts.as_message() if (c.questions or c.settings or c.rounds) else None,
        "answered": answered or None,
        # Who may watch changed: each console and moderator socket checks its own access.
        "recheck": c.watchers,
    }


EVERYONE_ORDER = (STUDENTS, BOARD, FACILITATOR, MODERATOR)


def _counted(st: State, c: Change) -> set[int]:
    """The questions whose counts a change may have moved."""
    return c.counts | c.questions | (set(st.states_by_question) if c.presence else set())


def panel_parts(st: State, change: Change, *, here: frozenset[str] = EVERYONE) -> list:
    """The panels a change touched: the console's who-is-here, not-answered-yet, Participation
    and key terms, and the board's word cloud. Each reads the whole class or all of a
    question's answers, so under load seminar/ticks.py renders them at most about once a
    second (`refresh`), and only when a console (or a board showing the cloud) is here."""
    c = change
    parts = []
    console = FACILITATOR in here
    cloud = BOARD in here and board_cloud(st)
    if not (console or cloud):
        return parts
    # Questions whose answers the class sees may have changed, and with them their key terms.
    worded = c.counts | set(
        Answer.objects.filter(pk__in=c.answers).values_list("question_id", flat=True)
        if c.answers
        else ()
    )
    if console:
        if c.presence:
            parts.append([FACILITATOR, people(st)])
        for qid in sorted(_counted(st, c)):
            parts.append([FACILITATOR, missing(st, st.states_by_question[qid])])
        # Who took part changes with posts, replies and their removal (own), votes (voters),
        # and who is here (presence, and opening a question records who is here).
        if c.presence or c.questions or c.own or c.voters:
            parts.append([FACILITATOR, participation(st)])
        for qid in sorted(worded):
            parts.append([FACILITATOR, console_terms(st, st.states_by_question[qid])])
    if cloud and st.focus.question_id in worded:
        parts.append([BOARD, board_terms(st, st.focus)])
    return parts


def refresh(st: State, version: int, panels: Change, *, here: frozenset[str] = EVERYONE):
    """The panels held back by the ticks up to `version`, as a message that does not move a
    screen's version: a screen at exactly `version` applies it (seminar/delivery.py), one
    anywhere else is re-synced or about to be, and every region in it is whole."""
    parts = panel_parts(st, panels, here=here)
    if not parts:
        return None
    return {"type": "change", "from": version, "version": version, "refresh": True, "parts": parts}
