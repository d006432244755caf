"""What a session was, as one plain data structure: the summary page and every export read it.

`session_summary()` is the only place that reads a finished (or running) session for people
outside it, so the page, the four downloads and `manage.py export_session` cannot disagree.
Its shape is the JSON export's, documented in docs/export-schema.md; datetimes stay `datetime`
objects here and become ISO 8601 strings only in the JSON and CSV renderers.

`participation` is who took part (seminar/participation.py, the console's panel too): present,
posted, replied, voted, the silent students by number and name, and how concentrated the
posts were.

Hidden answers are in it, marked `"hidden": True` (the facilitator's full exports list them);
`visible_only()` removes them for the summary page. Replies are under their answers
(`answers[].replies`), each with its move.
"""

from datetime import datetime

from django.db.models import Count, Q
from django.utils import timezone

from seminar import selectors
from seminar.models import Answer, Session, SpotlightLog, StepLog, StepNote
from seminar.participation import participation

SCHEMA = "seminar.session/3"
NAMES = ("real", "pseudonyms")


def pseudonym(number: int) -> str:
    return f"Participant {number}"


def session_summary(session: Session, *, names: str = "real", now: datetime | None = None) -> dict:
    """Everything about `session`, in agenda order. A handful of queries, whatever its size.

    `names="pseudonyms"` writes "Participant 1", "Participant 2", ... (numbered by join order,
    so stable within a session) wherever a student's name would be. A step still on screen, and
    the duration of a live session, count until `now` (default: the current time); for an
    ended session `now` is ignored, so the result depends only on the database.
    """
    if names not in NAMES:
        raise ValueError(f"names must be one of {NAMES}, not {names!r}")
    end = session.ended_at or now or timezone.now()

    participants = list(
        session.participants.annotate(
            answer_total=Count("answers", filter=Q(answers__reply_to__isnull=True), distinct=True),
            reply_total=Count("answers", filter=Q(answers__reply_to__isnull=False), distinct=True),
            votes_given=Count("votes", distinct=True),
        ).order_by("joined_at", "pk")
    )
    number_of = {p.pk: n for n, p in enumerate(participants, start=1)}

    def name_of(participant_id: int, name: str) -> str:
        return pseudonym(number_of[participant_id]) if names == "pseudonyms" else name

    steps = selectors.agenda(session)
    step_by_key = {step.key: step for step in steps}

    timeline = []
    seconds_by_key: dict[str, int] = {}
    visits_by_key: dict[str, int] = {}
    for entry in StepLog.objects.filter(session=session).order_by("started_at", "pk"):
        # An open entry is the step on screen now, or when the session ended.
        ended = entry.ended_at or end
        seconds = max(0, int((ended - entry.started_at).total_seconds()))
        seconds_by_key[entry.key] = seconds_by_key.get(entry.key, 0) + seconds
        visits_by_key[entry.key] = visits_by_key.get(entry.key, 0) + 1
        step = step_by_key.get(entry.key)
        timeline.append(
            {
                "step_key": entry.key,
                "step_number": step.index + 1 if step else entry.index + 1,
                "label": step.label if step else entry.title,
                "started_at": entry.started_at,
                "ended_at": entry.ended_at,
                "seconds": seconds,
            }
        )

    notes = {
        note.step_key: note.text
        for note in StepNote.objects.filter(session=session)
        if note.text.strip()
    }

    # Discussion: the order answers were first discussed in, and their time on the board.
    discussed = list(
        Answer.objects.filter(session=session, discussed_at__isnull=False)
        .order_by("discussed_at", "pk")
        .values_list("pk", flat=True)
    )
    discussed_order = {pk: n for n, pk in enumerate(discussed, start=1)}
    spotlight_seconds: dict[int, int] = {}
    for log in SpotlightLog.objects.filter(session=session):
        seconds = max(0, int(((log.ended_at or end) - log.started_at).total_seconds()))
        spotlight_seconds[log.answer_id] = spotlight_seconds.get(log.answer_id, 0) + seconds

    states = {state.question_id: state for state in selectors.question_states(session)}
    answers_by_question: dict[int, list[dict]] = {}
    replies_by_answer: dict[int, list[dict]] = {}
    rows = (
        Answer.objects.filter(session=session)
        .select_related("participant")
        .annotate(vote_count=Count("votes"))
        .order_by("question_id", "-pinned", "-vote_count", "created_at", "pk")
    )
    labels = dict(Answer.Move.choices)
    for answer in rows:
        row = {
            "participant": number_of[answer.participant_id],
            "author": name_of(answer.participant_id, answer.participant.name),
            "text": answer.text,
            "votes": answer.vote_count,
            "hidden": answer.hidden,
            "waiting": answer.pending,
            "created_at": answer.created_at,
            "edited_at": answer.edited_at,
        }
        if answer.is_reply:
            row = {"move": answer.move, "move_label": labels[answer.move], **row}
            replies_by_answer.setdefault(answer.reply_to_id, []).append((answer, row))
            continue
        answers_by_question.setdefault(answer.question_id, []).append(
            {
                "id": answer.pk,
                **row,
                "pinned": answer.pinned,
                "discussed": discussed_order.get(answer.pk),
                "discussed_seconds": spotlight_seconds.get(answer.pk, 0),
            }
        )
    for listed in answers_by_question.values():
        for n, a in enumerate(listed, start=1):
            pk = a.pop("id")
            # Its replies in the order they were written (the thread as the class read it).
            thread = sorted(replies_by_answer.get(pk, []), key=lambda r: (r[0].created_at, r[0].pk))
            a["replies"] = [r for _, r in thread]
            a["reply_counts"] = _move_counts(a["replies"])
            a["position"] = n

    questions = []
    for step in steps:
        if step.kind != "question":
            continue
        question = step.obj
        state = states.get(question.pk)
        listed = answers_by_question.get(question.pk, [])
        answered = len({a["participant"] for a in listed})
        present = state.participant_count if state else 0
        questions.append(
            {
                "number": question.number,
                "text": question.text,
                "step_key": step.key,
                "opened_at": state.opened_at if state else None,
                "closed_at": state.closed_at if state else None,
                "present": present,
                "answered": answered,
                "answered_share": round(answered / present, 4) if present else None,
                "hidden": sum(1 for a in listed if a["hidden"]),
                "waiting": sum(1 for a in listed if a["waiting"])
                + sum(1 for a in listed for r in a["replies"] if r["waiting"]),
                "reply_counts": _move_counts([r for a in listed for r in a["replies"]]),
                "answers": listed,
            }
        )

    who = participation(session)
    figures = {s.pk: s for s in who.students}

    guide = session.guide
    return {
        "schema": SCHEMA,
        "names": names,
        "session": {
            "code": session.code,
            "title": session.display_title,
            "guide": {
                "slug": guide.slug,
                "version": guide.version,
                "title": guide.title,
                "subtitle": guide.subtitle,
            },
            "started_at": session.created_at,
            "ended_at": session.ended_at,
            "live": session.is_live,
            "duration_seconds": max(0, int((end - session.created_at).total_seconds())),
            "participant_count": len(participants),
            "discussed_count": len(discussed),
            "reply_count": sum(len(v) for v in replies_by_answer.values()),
            "settings": {
                "names_hidden": session.names_hidden,
                "answer_first": session.answer_first,
                "approve_first": session.approve_first,
                "board_order": session.board_order,
            },
        },
        "participants": [
            {
                "number": number_of[p.pk],
                "name": name_of(p.pk, p.name),
                "joined_at": p.joined_at,
                "answers": p.answer_total,
                "replies": p.reply_total,
                "votes_given": p.votes_given,
                "posts": figures[p.pk].posts,
                "questions_present": figures[p.pk].questions_present,
                "silent_questions": figures[p.pk].silent_questions,
            }
            for p in participants
        ],
        "steps": [
            {
                "number": step.index + 1,
                "key": step.key,
                "kind": step.kind,
                "label": step.label,
                "title": step.title,
                "question": step.number if step.kind == "question" else None,
                "seconds": seconds_by_key.get(step.key, 0),
                "visits": visits_by_key.get(step.key, 0),
                "note": notes.get(step.key),
            }
            for step in steps
        ],
        "timeline": timeline,
        "questions": questions,
        "participation": _participation(who, name_of),
    }


def _participation(who, name_of) -> dict:
    """seminar/participation.py's figures as the exports write them: students by their
    number (and name or pseudonym), shares to four decimals, only questions anyone was
    present for."""
    return {
        "present": who.present,
        "posted": who.posted,
        "answered": who.answered,
        "replied": who.replied,
        "voted": who.voted,
        "silent": who.silent,
        "posts": who.posts,
        "top_percent": who.top_percent,
        "top_count": who.top_count,
        "top_share": None if who.top_share is None else round(who.top_share, 4),
        "gini": None if who.gini is None else round(who.gini, 4),
        "silent_students": [
            {"participant": s.number, "name": name_of(s.pk, s.name), "voted": s.voted}
            for s in who.silent_students
        ],
        "questions": [
            {
                "number": q.number,
                "present": q.present,
                "answered": q.answered,
                "replied": q.replied,
                "voted": q.voted,
                "silent": q.silent,
                "posts": q.posts,
            }
            for q in who.questions
            if q.present
        ],
    }


def sections(data: dict) -> list[dict]:
    """The steps with something of the session in them (a question, a note), each with its
    question (or None), for renderers that walk the agenda. A theme the class only looked at
    is in the timeline, not a heading of its own with nothing under it."""
    by_number = {q["number"]: q for q in data["questions"]}
    return [
        {"step": step, "question": by_number.get(step["question"])}
        for step in data["steps"]
        if step["question"] in by_number or step["note"]
    ]


def _move_counts(replies: list[dict]) -> dict[str, int]:
    """How many replies the class could see made each move (hidden and waiting ones aside)."""
    shown = [r for r in replies if not r["hidden"] and not r["waiting"]]
    return {move: sum(1 for r in shown if r["move"] == move) for move in Answer.Move.values}


def _shown(items: list[dict]) -> list[dict]:
    return [a for a in items if not a["hidden"] and not a["waiting"]]


def visible_only(data: dict) -> dict:
    """A copy without hidden answers and replies nor those waiting for review (the counts stay
    as they are), for the summary page."""
    return {
        **data,
        "questions": [
            {
                **q,
                "answers": [{**a, "replies": _shown(a["replies"])} for a in _shown(q["answers"])],
            }
            for q in data["questions"]
        ],
    }


def format_duration(seconds: int) -> str:
    """4230 -> "1 h 10 min", 754 -> "12 min 34 s", 300 -> "5 min", 45 -> "45 s"."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"
