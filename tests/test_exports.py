"""The downloads (md, csv, json, html, participants csv) and `manage.py export_session`.

One known session, built through the services and then frozen in time, is checked in every
format against the database.
"""

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.html import escape
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from seminar import exports, services
from seminar.exports import md_line
from seminar.models import (
    Answer,
    Participant,
    QuestionState,
    Session,
    SpotlightLog,
    StepLog,
    Vote,
)

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "data" / "golden-summary.md"
T0 = datetime(2025, 3, 4, 14, 0, tzinfo=UTC)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

NAMES = ["Ana", 'Bo, "the" <Builder>', "Émile 🎉", "=cmd"]
# (participant index, question number, text)
ANSWERS = [
    (0, 1, 'Commas, "quotes", and\nnewlines 🎉'),
    (1, 1, "=SUM(A1)"),
    (2, 1, "+1 for pairing"),
    (3, 1, "-2 secret hidden remark"),
    (0, 2, "@x *not bold* <b>not html</b> | pipe"),
    (2, 2, "Plain answer, pinned"),
]
# (voter index, answer index)
VOTES = [(1, 0), (2, 0), (0, 1), (0, 3), (0, 5), (2, 4)]
HIDDEN, PINNED = 3, 5
# Answers discussed, in order: the first two spotlit (answer index, from, to in minutes).
DISCUSSED = (0, 2, 4)
SPOTLIGHTS = [(0, 40, 42), (2, 42, 45)]
DISCUSSION = {0: (1, 120), 2: (2, 180), 4: (3, 0)}  # answer index: (order, seconds on board)
# (replier index, answer index, move, text): replies, oldest first; the second is hidden.
REPLIES = [
    (1, 0, "challenge", "=I see it differently: *diffs* lie"),
    (3, 0, "question", "Could you say more about <why>?"),
    (0, 2, "build", "Building on this, pair daily."),
]
REPLY_HIDDEN = 1
REPLY_VOTES = [(2, 0), (3, 0)]  # (voter index, reply index)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def build_session(facilitator, guide, *, end=True) -> Session:
    """A session with known content and fixed times: code ABCDEF, 14:00 to 15:10 UTC."""
    session = services.session_start(facilitator=facilitator, guide=guide, title="Tuesday seminar")
    people = [services.participant_join(session=session, name=name) for name in NAMES]
    for person in people:  # all four in the room when the questions open
        services.connection_open(participant=person, channel_name=f"tab-{person.pk}")
    for number in (1, 2):
        services.question_set_open(session=session, by=facilitator, number=number, is_open=True)
    answers = [
        services.answer_post(participant=people[p], number=q, text=text, client_token=None)[0]
        for p, q, text in ANSWERS
    ]
    for voter, answer in VOTES:
        services.vote_toggle(participant=people[voter], answer_id=answers[answer].pk)
    replies = [
        services.reply_post(
            participant=people[p], answer_id=answers[a].pk, move=move, text=text, client_token=None
        )[0]
        for p, a, move, text in REPLIES
    ]
    for voter, reply in REPLY_VOTES:
        services.vote_toggle(participant=people[voter], answer_id=replies[reply].pk)
    services.answer_set_hidden(
        session=session, by=facilitator, answer_id=replies[REPLY_HIDDEN].pk, hidden=True
    )
    services.answer_set_hidden(
        session=session, by=facilitator, answer_id=answers[HIDDEN].pk, hidden=True
    )
    services.answer_set_pinned(
        session=session, by=facilitator, answer_id=answers[PINNED].pk, pinned=True
    )
    # lobby, overview, theme 1, back to overview, question 1, question 2
    for to in (1, 2, 1, 7, 8):
        session = services.step_go(session=session, by=facilitator, to=to)
    # Discussed: Ana's and Émile's answers to question 1 on the board in turn, then
    # Ana's answer to question 2 marked discussed from the console.
    for index in DISCUSSED[:2]:
        services.answer_spotlight(session=session, by=facilitator, answer_id=answers[index].pk)
    services.spotlight_end(session=session, by=facilitator)
    services.answer_set_discussed(
        session=session, by=facilitator, answer_id=answers[DISCUSSED[2]].pk, discussed=True
    )
    services.note_save(
        session=session,
        by=facilitator,
        step_key="overview",
        text='Went well.\n- "Abstractions" took longest, =not a formula',
    )
    services.note_save(
        session=session, by=facilitator, step_key="question-1", text="Follow up on the hidden one."
    )
    if end:
        session = services.session_end(session=session, by=facilitator)

    # Freeze every time the exports show, and the join code.
    Session.objects.filter(pk=session.pk).update(
        code="ABCDEF", created_at=at(0), ended_at=at(70) if end else None
    )
    bounds = [(0, 5), (5, 15), (15, 30), (30, 35), (35, 60), (60, 70 if end else None)]
    for entry, (start, stop) in zip(
        StepLog.objects.filter(session=session).order_by("pk"), bounds, strict=True
    ):
        StepLog.objects.filter(pk=entry.pk).update(
            started_at=at(start), ended_at=at(stop) if stop is not None else None
        )
    for i, person in enumerate(people):
        Participant.objects.filter(pk=person.pk).update(joined_at=at(1) + timedelta(seconds=i))
    for i, answer in enumerate(answers):
        Answer.objects.filter(pk=answer.pk).update(created_at=at(36 + i))
    for i, reply in enumerate(replies):
        Answer.objects.filter(pk=reply.pk).update(created_at=at(45 + i))
    Answer.objects.filter(pk=answers[0].pk).update(edited_at=at(50))
    for (index, start, stop), log in zip(
        SPOTLIGHTS, SpotlightLog.objects.filter(session=session).order_by("pk"), strict=True
    ):
        SpotlightLog.objects.filter(pk=log.pk).update(started_at=at(start), ended_at=at(stop))
        Answer.objects.filter(pk=answers[index].pk).update(discussed_at=at(start))
    Answer.objects.filter(pk=answers[DISCUSSED[2]].pk).update(discussed_at=at(62))
    QuestionState.objects.filter(session=session, question__number__in=[1, 2]).update(
        opened_at=at(10), closed_at=at(70) if end else None
    )
    return Session.objects.get(pk=session.pk)


@pytest.fixture(autouse=True)
def _utc(settings):
    """Expected times below are written in UTC, whatever TIME_ZONE the environment sets."""
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def rich(facilitator, guide):
    return build_session(facilitator, guide)


def download(client, fmt, **query):
    url = reverse("seminar:export", args=["ABCDEF", fmt])
    return client.get(url, query)


def neutral(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def iso(value):
    return value.replace(microsecond=0).isoformat() if value else ""


def discussion_of(answer) -> tuple[int | None, int]:
    """(order discussed, seconds on the board) as build_session made them."""
    index = [text for _, _, text in ANSWERS].index(answer.text)
    return DISCUSSION.get(index, (None, 0))


def db_answers(session):
    """The session's answers in export order: by question, pinned first, then votes, then time;
    each with `thread`, its replies oldest first."""
    answers = list(
        Answer.objects.filter(session=session, reply_to__isnull=True).select_related(
            "participant", "question"
        )
    )
    for a in answers:
        a.vote_total = Vote.objects.filter(answer=a).count()
        a.thread = list(a.replies.select_related("participant").order_by("created_at", "pk"))
        for r in a.thread:
            r.vote_total = Vote.objects.filter(answer=r).count()
    return sorted(
        answers, key=lambda a: (a.question.number, not a.pinned, -a.vote_total, a.created_at, a.pk)
    )


# --- downloads ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt,ctype",
    [
        ("md", "text/markdown; charset=utf-8"),
        ("csv", "text/csv; charset=utf-8"),
        ("json", "application/json"),
        ("html", "text/html; charset=utf-8"),
    ],
)
def test_every_format_is_an_attachment_with_a_dated_file_name(rich, facilitator_client, fmt, ctype):
    response = download(facilitator_client, fmt)
    assert response.status_code == 200
    assert response["Content-Type"] == ctype
    assert response["Content-Disposition"] == (
        f'attachment; filename="seminar-ABCDEF-2025-03-04.{fmt}"'
    )
    assert "no-store" in response["Cache-Control"]
    pseudonymous = download(facilitator_client, fmt, names="pseudonyms")
    assert pseudonymous["Content-Disposition"] == (
        f'attachment; filename="seminar-ABCDEF-2025-03-04-pseudonyms.{fmt}"'
    )


def test_an_unknown_format_is_a_404_that_says_so(rich, facilitator_client):
    response = download(facilitator_client, "pdf")
    assert response.status_code == 404
    assert "Unknown export format “pdf”" in response.content.decode()
    assert download(facilitator_client, "md", names="nobody").status_code == 400


def test_csv_has_one_row_per_answer_field_by_field(rich, facilitator_client):
    content = download(facilitator_client, "csv").content
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert rows[0] == exports.CSV_HEADER
    expected = []  # each answer's row, then its replies' rows
    positions: dict[int, int] = {}
    for a in db_answers(rich):
        n = positions[a.question.number] = positions.get(a.question.number, 0) + 1
        ref = f"{a.question.number}.{n}"
        expected.append(
            [
                str(a.question.number),
                neutral(a.question.text),
                neutral(a.participant.name),
                neutral(a.text),
                str(a.vote_total),
                "yes" if a.pinned else "no",
                "yes" if a.hidden else "no",
                "yes" if a.pending else "no",
                str(discussion_of(a)[0] or ""),
                str(discussion_of(a)[1]),
                iso(a.created_at),
                iso(a.edited_at),
                "answer",
                ref,
                "",
                "",
            ]
        )
        for i, r in enumerate(a.thread, start=1):
            expected.append(
                [
                    str(a.question.number),
                    neutral(a.question.text),
                    neutral(r.participant.name),
                    neutral(r.text),
                    str(r.vote_total),
                    "no",
                    "yes" if r.hidden else "no",
                    "yes" if r.pending else "no",
                    "",
                    "0",
                    iso(r.created_at),
                    iso(r.edited_at),
                    "reply",
                    f"{ref}.{i}",
                    ref,
                    r.get_move_display(),
                ]
            )
    assert len(rows) - 1 == len(ANSWERS) + len(REPLIES)
    assert rows[1:] == expected
    by_text = {row[3]: row for row in rows[1:]}
    challenge = by_text["'=I see it differently: *diffs* lie"]
    assert challenge[12:] == ["reply", "1.1.1", "1.1", "Challenge"] and challenge[4] == "2"
    assert by_text["Could you say more about <why>?"][6] == "yes"  # the hidden reply
    # Formula-like cells are neutralised; commas, quotes, newlines and emoji round-trip.
    assert {"'=SUM(A1)", "'+1 for pairing", "'-2 secret hidden remark"} <= set(by_text)
    assert by_text["'@x *not bold* <b>not html</b> | pipe"][2] == "Ana"
    assert by_text['Commas, "quotes", and\nnewlines 🎉'][4] == "2"
    assert by_text["'-2 secret hidden remark"][2] == "'=cmd"
    assert by_text["'-2 secret hidden remark"][6] == "yes"
    assert by_text["Plain answer, pinned"][5] == "yes"
    assert by_text['Commas, "quotes", and\nnewlines 🎉'][8:10] == ["1", "120"]  # discussed first
    assert by_text['Commas, "quotes", and\nnewlines 🎉'][11] == "2025-03-04T14:50:00+00:00"


def test_csv_with_pseudonyms_numbers_people_by_join_order(rich, facilitator_client):
    content = download(facilitator_client, "csv", names="pseudonyms").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content, newline="")))
    authors = {row[3]: row[2] for row in rows[1:]}
    assert authors["'=SUM(A1)"] == "Participant 2"
    assert authors["Plain answer, pinned"] == "Participant 3"
    assert authors["'-2 secret hidden remark"] == "Participant 4"
    assert not any(name in content for name in ("Ana", "Builder", "Émile", "=cmd"))


def test_participants_csv(rich, facilitator_client):
    response = facilitator_client.get(reverse("seminar:export_participants", args=["ABCDEF"]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="seminar-ABCDEF-2025-03-04-participants.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert rows[0] == [
        "name",
        "joined_at",
        "answers",
        "votes_given",
        "replies",
        "posts",
        "questions_present",
        "silent_questions",
    ]
    people = list(Participant.objects.filter(session=rich).order_by("joined_at", "pk"))
    assert [row[0] for row in rows[1:]] == [neutral(p.name) for p in people]
    for row, p in zip(rows[1:], people, strict=True):
        assert row[1] == iso(p.joined_at)
        assert row[2] == str(p.answers.filter(reply_to__isnull=True).count())
        assert row[3] == str(p.votes.count())
        assert row[4] == str(p.answers.filter(reply_to__isnull=False).count())
        assert row[5] == str(p.answers.count())  # answers and replies
    assert rows[1] == ["Ana", "2025-03-04T14:01:00+00:00", "2", "3", "1", "3", "2", "0"]
    # Here for questions 1 and 2, everyone; Bo and =cmd posted nothing on question 2.
    assert [row[6:] for row in rows[1:]] == [["2", "0"], ["2", "1"], ["2", "0"], ["2", "1"]]
    pseudo = facilitator_client.get(
        reverse("seminar:export_participants", args=["ABCDEF"]), {"names": "pseudonyms"}
    )
    names = [row[0] for row in csv.reader(io.StringIO(pseudo.content.decode("utf-8-sig")))]
    assert names == ["name", "Participant 1", "Participant 2", "Participant 3", "Participant 4"]


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised():
    for text in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]:
        assert exports.csv_cell(text) == "'" + text
    for value in ["1+1", "a=b", "", " =x"]:
        assert exports.csv_cell(value) == value
    assert exports.csv_cell(-3) == -3  # numbers are ours, never text typed by someone
    assert exports.csv_cell(True) == "yes"
    assert exports.csv_cell(None) == ""


def test_json_is_everything_with_a_versioned_schema(rich, facilitator_client):
    data = json.loads(download(facilitator_client, "json").content)
    assert data["schema"] == "seminar.session/3"
    assert data["names"] == "real"
    s = data["session"]
    assert s["code"] == "ABCDEF"
    assert s["title"] == "Tuesday seminar"
    assert s["guide"] == {
        "slug": "small-guide",
        "version": 1,
        "title": "A Small Guide",
        "subtitle": "Someone",
    }
    assert s["started_at"] == "2025-03-04T14:00:00+00:00"
    assert s["ended_at"] == "2025-03-04T15:10:00+00:00"
    assert s["duration_seconds"] == 70 * 60
    assert s["live"] is False
    assert s["participant_count"] == 4
    assert s["reply_count"] == len(REPLIES)

    people = list(Participant.objects.filter(session=rich).order_by("joined_at", "pk"))
    assert [p["name"] for p in data["participants"]] == [p.name for p in people]
    assert [p["number"] for p in data["participants"]] == [1, 2, 3, 4]
    assert [p["answers"] for p in data["participants"]] == [
        p.answers.filter(reply_to__isnull=True).count() for p in people
    ]
    assert [p["replies"] for p in data["participants"]] == [
        p.answers.filter(reply_to__isnull=False).count() for p in people
    ]
    assert [p["votes_given"] for p in data["participants"]] == [p.votes.count() for p in people]

    exported = [(q["number"], a) for q in data["questions"] for a in q["answers"]]
    expected = db_answers(rich)
    assert len(exported) == len(expected)
    numbers = {p.pk: n for n, p in enumerate(people, start=1)}
    positions: dict[int, int] = {}

    def shown_counts(thread):
        shown = [r for r in thread if r.shown]
        return {m: sum(1 for r in shown if r.move == m) for m in ("build", "challenge", "question")}

    for (number, a), db in zip(exported, expected, strict=True):
        assert number == db.question.number
        positions[number] = positions.get(number, 0) + 1
        assert a == {
            "participant": numbers[db.participant_id],
            "author": db.participant.name,
            "text": db.text,
            "votes": db.vote_total,
            "pinned": db.pinned,
            "hidden": db.hidden,
            "waiting": db.pending,
            "discussed": discussion_of(db)[0],
            "discussed_seconds": discussion_of(db)[1],
            "created_at": iso(db.created_at),
            "edited_at": iso(db.edited_at) or None,
            "position": positions[number],
            "replies": [
                {
                    "move": r.move,
                    "move_label": r.get_move_display(),
                    "participant": numbers[r.participant_id],
                    "author": r.participant.name,
                    "text": r.text,
                    "votes": r.vote_total,
                    "hidden": r.hidden,
                    "waiting": r.pending,
                    "created_at": iso(r.created_at),
                    "edited_at": iso(r.edited_at) or None,
                }
                for r in db.thread
            ],
            "reply_counts": shown_counts(db.thread),
        }
    q1 = data["questions"][0]
    assert (q1["answered"], q1["answered_share"], q1["hidden"]) == (4, 1.0, 1)
    # By move, the replies the class could see (the hidden Question aside).
    assert q1["reply_counts"] == {"build": 1, "challenge": 1, "question": 0}
    assert [r["move"] for r in q1["answers"][0]["replies"]] == ["challenge", "question"]
    assert q1["answers"][0]["text"] == 'Commas, "quotes", and\nnewlines 🎉'  # most votes first
    assert data["questions"][1]["answers"][0]["pinned"] is True  # pinned first
    assert data["questions"][2]["answers"] == []

    steps = {step["key"]: step for step in data["steps"]}
    assert steps["overview"]["seconds"] == 15 * 60  # 10 min, then 5 more on a second visit
    assert steps["overview"]["visits"] == 2
    assert steps["question-2"]["seconds"] == 10 * 60  # open until the session ended
    assert steps["theme-2"]["visits"] == 0
    assert steps["overview"]["note"].startswith("Went well.")
    assert steps["lobby"]["note"] is None
    assert [t["step_key"] for t in data["timeline"]] == [
        "lobby",
        "overview",
        "theme-1",
        "overview",
        "question-1",
        "question-2",
    ]


_MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])


@settings(max_examples=300, deadline=None)
@given(raw=st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=60))
@example(raw="costs ~200, uses snake_case and a > b")
@example(raw="~~struck~~ _emph_ *strong* `code` [link](x) <b>tag</b> a|b &amp; # no heading")
@example(raw="1. not a list")
def test_markdown_text_renders_as_exactly_what_was_typed(raw):
    text = " ".join(raw.split())
    html = _MARKDOWN.render(md_line(text))
    if not text:
        assert html == ""
        return
    assert html.startswith("<p>") and html.endswith("</p>\n"), html
    assert unescape(html[3:-5]) == text


def test_markdown_escapes_only_what_would_be_markup():
    assert md_line("costs ~200 in snake_case, a > b") == "costs ~200 in snake_case, a > b"
    assert md_line("~~no~~ _no_") == "\\~\\~no\\~\\~ \\_no\\_"


def test_markdown_matches_the_golden_file(rich, facilitator_client):
    """After a deliberate change of the Markdown, rewrite the file: SEMINAR_UPDATE_GOLDEN=1."""
    content = download(facilitator_client, "md").content
    if os.environ.get("SEMINAR_UPDATE_GOLDEN") == "1":
        GOLDEN.write_bytes(content)
    assert content == GOLDEN.read_bytes()


def test_html_export_is_standalone_and_lists_every_answer_hidden_ones_marked(
    rich, facilitator_client
):
    html = download(facilitator_client, "html").content.decode("utf-8")
    assert html.startswith("<!doctype html>")
    assert "<style>" in html and "@media print" in html
    assert "<link" not in html and "<script" not in html
    for _, _, text in ANSWERS:
        assert escape(text).replace("\n", "<br>") in html
    assert "<b>not html</b>" not in html
    hidden_item = html.split("-2 secret hidden remark")[0].rsplit("<li", 1)[1]
    assert "is-hidden" in hidden_item and "Hidden</span>" in hidden_item
    assert "Follow up on the hidden one." in html


def test_a_live_session_can_be_exported_too(facilitator, guide, facilitator_client):
    build_session(facilitator, guide, end=False)
    data = json.loads(download(facilitator_client, "json").content)
    assert data["session"]["live"] is True
    assert data["session"]["ended_at"] is None
    assert data["timeline"][-1]["ended_at"] is None
    assert data["timeline"][-1]["seconds"] > 0  # counted until now


# --- manage.py export_session ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["md", "csv", "json", "html"])
def test_the_command_writes_the_same_bytes_as_the_download(rich, facilitator_client, fmt, tmp_path):
    for names in ("real", "pseudonyms"):
        out = tmp_path / f"out-{names}.{fmt}"
        call_command(
            "export_session", "abcdef", "--format", fmt, "--names", names, "--output", str(out)
        )
        assert out.read_bytes() == download(facilitator_client, fmt, names=names).content
    stdout = io.StringIO()
    call_command("export_session", "ABCDEF", "--format", fmt, stdout=stdout)
    assert stdout.getvalue().encode("utf-8") == download(facilitator_client, fmt).content


def test_the_command_refuses_an_unknown_code_or_format(rich):
    with pytest.raises(CommandError, match="no session has the code 'ZZZZZZ'"):
        call_command("export_session", "ZZZZZZ", "--format", "md")
    with pytest.raises(CommandError, match="unknown format 'pdf'"):
        call_command("export_session", "ABCDEF", "--format", "pdf")
    with pytest.raises(CommandError, match="unknown --names"):
        call_command("export_session", "ABCDEF", "--format", "md", "--names", "nicknames")


def test_the_command_exits_1_on_an_unknown_format(tmp_path):
    env = {
        **os.environ,
        "SECRET_KEY": "x",
        "STATIC_MANIFEST": "0",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "export_session", "ABCDEF", "--format", "pdf"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "unknown format 'pdf': choose one of md, csv, json, html" in result.stderr
    assert "Traceback" not in result.stderr
