"""Who got heard: participation figures for the facilitator, never for the room.

Per question and overall: who was present, who answered, replied and voted, who stayed silent,
and how concentrated the posts were (the share of the most active 15% of students, Parlay's
figure, and the Gini coefficient of posts per present student). The console's Participation
panel and `summary.session_summary` (so every export) read `participation()`; the figures
themselves are pure functions of a list of post counts, below.

Definitions (docs/export-schema.md says them to readers of the exports):
- a *post* is an answer or a reply, hidden and waiting ones included: moderation decides what
  the class sees, not whether the student spoke;
- *present for a question*: here while it was open (`Attendance`), or took part in it (answered,
  replied to or upvoted one of its answers or replies); *present* overall: present for at
  least one question. A student who joined and left before any question opened is not counted:
  nothing was asked of them;
- *silent*: present and posted nothing (a vote is taking part, not speaking up: a silent
  student who voted is marked so).
"""

from dataclasses import dataclass, field

from seminar.models import Answer, Attendance, QuestionState, Session, Vote

# Parlay's figure: the share of posts written by the most active 15% of students.
TOP_PERCENT = 15


def top_count(present: int, percent: int = TOP_PERCENT) -> int:
    """How many students "the most active `percent`%" of `present` students is: rounded up,
    and at least one as soon as anyone is present (integer arithmetic: 15% of 20 is 3, not the
    4 that ceil(20 * 0.15) gives in floating point)."""
    if present <= 0:
        return 0
    return max(1, (present * percent + 99) // 100)


def top_share(posts: list[int], percent: int = TOP_PERCENT) -> float | None:
    """The share of all posts written by the `top_count` students who posted most, 0 to 1;
    None when nobody posted. `posts` has one count per present student, silent ones as 0."""
    total = sum(posts)
    if not total:
        return None
    top = sorted(posts, reverse=True)[: top_count(len(posts), percent)]
    return sum(top) / total


def gini(posts: list[int]) -> float | None:
    """The Gini coefficient of posts per present student: 0 when everyone posted as much as
    everyone else, approaching 1 when one student wrote everything (for n students at most
    (n - 1) / n). None when nobody posted.

    The mean absolute difference between any two students, over twice the mean, computed from
    the sorted counts: G = 2 * sum(i * x_i) / (n * sum(x)) - (n + 1) / n, i from 1, ascending.
    """
    total = sum(posts)
    if not total:
        return None
    n = len(posts)
    weighted = sum(i * x for i, x in enumerate(sorted(posts), start=1))
    # Rounded to hide float noise (equal posting must read 0, not 1e-17).
    return max(0.0, round(2 * weighted / (n * total) - (n + 1) / n, 12))


@dataclass
class StudentFigures:
    pk: int
    name: str
    number: int  # by join order, as the summary's participants and pseudonyms
    answers: int = 0
    replies: int = 0
    voted: bool = False
    # The questions they were present for, and of those, the ones they posted nothing on.
    questions_present: int = 0
    silent_questions: int = 0
    online: bool = False  # only when the caller says who is here now (the console)

    @property
    def posts(self) -> int:
        return self.answers + self.replies

    @property
    def present(self) -> bool:
        return self.questions_present > 0

    @property
    def silent(self) -> bool:
        return self.present and not self.posts


@dataclass
class QuestionFigures:
    question_id: int
    number: int
    opened: bool
    present: int = 0
    answered: int = 0
    replied: int = 0
    voted: int = 0
    silent: int = 0
    posts: int = 0


@dataclass
class Participation:
    students: list[StudentFigures]  # everyone who joined, in join order
    questions: list[QuestionFigures]  # in question order
    present: int = 0
    answered: int = 0
    replied: int = 0
    voted: int = 0
    posted: int = 0
    posts: int = 0
    top_count: int = 0
    top_share: float | None = None
    gini: float | None = None
    silent_students: list[StudentFigures] = field(default_factory=list)

    @property
    def silent(self) -> int:
        return len(self.silent_students)

    @property
    def top_percent(self) -> int:
        return TOP_PERCENT


def participation(session: Session, *, online: set[int] | frozenset[int] = frozenset()):
    """The session's participation figures, in five queries whatever the size of the class.

    `online`: ids of the students here now, marked on their figures (the console shows who of
    the silent ones could be invited now)."""
    students = [
        StudentFigures(pk=pk, name=name, number=n, online=pk in online)
        for n, (pk, name) in enumerate(
            session.participants.order_by("joined_at", "pk").values_list("pk", "name"), start=1
        )
    ]
    by_pk = {s.pk: s for s in students}
    states = list(
        QuestionState.objects.filter(session=session)
        .order_by("question__number")
        .values_list("question_id", "question__number", "opened_at")
    )
    # question id -> sets of student ids
    present: dict[int, set[int]] = {qid: set() for qid, _, _ in states}
    answered: dict[int, set[int]] = {qid: set() for qid, _, _ in states}
    replied: dict[int, set[int]] = {qid: set() for qid, _, _ in states}
    voted: dict[int, set[int]] = {qid: set() for qid, _, _ in states}
    posts_on: dict[int, int] = dict.fromkeys(present, 0)

    attended = Attendance.objects.filter(state__session=session).values_list(
        "state__question_id", "participant_id"
    )
    for qid, pid in attended:
        present.setdefault(qid, set()).add(pid)
    for qid, pid, reply_to in Answer.objects.filter(session=session).values_list(
        "question_id", "participant_id", "reply_to_id"
    ):
        (replied if reply_to else answered).setdefault(qid, set()).add(pid)
        posts_on[qid] = posts_on.get(qid, 0) + 1
        student = by_pk[pid]
        if reply_to:
            student.replies += 1
        else:
            student.answers += 1
    votes = (
        Vote.objects.filter(answer__session=session)
        .values_list("answer__question_id", "participant_id")
        .distinct()
    )
    for qid, pid in votes:
        voted.setdefault(qid, set()).add(pid)
        by_pk[pid].voted = True

    questions = []
    for qid, number, opened_at in states:
        posted = answered[qid] | replied[qid]
        here = present[qid] | posted | voted[qid]  # taking part in it is being here for it
        for pid in here:
            by_pk[pid].questions_present += 1
            if pid not in posted:
                by_pk[pid].silent_questions += 1
        questions.append(
            QuestionFigures(
                question_id=qid,
                number=number,
                opened=opened_at is not None,
                present=len(here),
                answered=len(answered[qid]),
                replied=len(replied[qid]),
                voted=len(voted[qid]),
                silent=len(here - posted),
                posts=posts_on[qid],
            )
        )

    here_students = [s for s in students if s.present]
    counts = [s.posts for s in here_students]
    return Participation(
        students=students,
        questions=questions,
        present=len(here_students),
        answered=sum(1 for s in here_students if s.answers),
        replied=sum(1 for s in here_students if s.replies),
        voted=sum(1 for s in here_students if s.voted),
        posted=sum(1 for s in here_students if s.posts),
        posts=sum(counts),
        top_count=top_count(len(counts)),
        top_share=top_share(counts),
        gini=gini(counts),
        silent_students=[s for s in here_students if s.silent],
    )
