"""The session's downloads: Markdown, CSV, JSON, printable HTML, and the participants' CSV.

Every renderer reads `seminar.summary.session_summary()` and returns an `Export` (bytes, a file
name, a content type). The download view and `manage.py export_session` both call `export()`,
so the same data gives the same bytes: nothing here reads the clock (an ended session's
durations come from the database; see `session_summary`).

CSV files are UTF-8 with a byte order mark (Excel otherwise guesses the legacy code page and
garbles accents and emoji) and CRLF line ends (RFC 4180). Any text cell a spreadsheet would run
as a formula (starting with = + - @, a tab or a carriage return) gets a leading single quote.
"""

import csv
import functools
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from seminar.models import Answer, Session
from seminar.summary import format_duration, sections, session_summary

FORMATS = {
    "md": "text/markdown; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "html": "text/html; charset=utf-8",
}


@dataclass(frozen=True)
class Export:
    content: bytes
    filename: str
    content_type: str


def export(session: Session, fmt: str, *, names: str = "real") -> Export:
    """The session as a `fmt` file ("md", "csv", "json" or "html"). Raises KeyError otherwise."""
    content_type = FORMATS[fmt]
    data = session_summary(session, names=names)
    content = RENDERERS[fmt](data)
    return Export(content, _filename(session, fmt, names), content_type)


def export_participants(session: Session, *, names: str = "real") -> Export:
    """One row per participant: name, when they joined, how many answers and votes, and how
    they took part (posts, questions present for, and of those the ones they were silent on)."""
    data = session_summary(session, names=names)
    rows = [
        [
            "name",
            "joined_at",
            "answers",
            "votes_given",
            "replies",
            "posts",
            "questions_present",
            "silent_questions",
        ]
    ]
    rows += [
        [
            p["name"],
            _iso(p["joined_at"]),
            p["answers"],
            p["votes_given"],
            p["replies"],
            p["posts"],
            p["questions_present"],
            p["silent_questions"],
        ]
        for p in data["participants"]
    ]
    return Export(
        _csv_bytes(rows),
        _filename(session, "csv", names, suffix="-participants"),
        FORMATS["csv"],
    )


def _filename(session: Session, fmt: str, names: str, *, suffix: str = "") -> str:
    day = timezone.localtime(session.created_at).date().isoformat()
    if names == "pseudonyms":
        suffix += "-pseudonyms"
    return f"seminar-{session.code}-{day}{suffix}.{fmt}"


# --- JSON --------------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    """ISO 8601 in the site's time zone (TIME_ZONE), to the second, with its UTC offset."""
    if value is None:
        return None
    return timezone.localtime(value).replace(microsecond=0).isoformat()


def _jsonable(value):
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def render_json(data: dict) -> bytes:
    text = json.dumps(_jsonable(data), ensure_ascii=False, indent=2)
    return (text + "\n").encode("utf-8")


# --- CSV ---------------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str | int:
    """A cell as written: text that would start a formula is neutralised with a leading '."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_bytes(rows: list[list]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


CSV_HEADER = [
    "question_number",
    "question",
    "participant",
    "answer",
    "votes",
    "pinned",
    "hidden",
    "waiting",
    "discussed_order",
    "discussed_seconds",
    "created_at",
    "edited_at",
    # Replies (schema 3): each answer's replies follow it; `ref` is "question.answer" for an
    # answer and "question.answer.reply" for a reply, whose `reply_to` is its answer's ref.
    "kind",
    "ref",
    "reply_to",
    "move",
]


def render_csv(data: dict) -> bytes:
    """One row per answer, each followed by its replies (hidden ones included, marked),
    questions in order."""
    rows = [CSV_HEADER]
    for q in data["questions"]:
        for a in q["answers"]:
            ref = f"{q['number']}.{a['position']}"
            rows.append(
                [
                    q["number"],
                    q["text"],
                    a["author"],
                    a["text"],
                    a["votes"],
                    a["pinned"],
                    a["hidden"],
                    a["waiting"],
                    a["discussed"] or "",
                    a["discussed_seconds"],
                    _iso(a["created_at"]),
                    _iso(a["edited_at"]),
                    "answer",
                    ref,
                    "",
                    "",
                ]
            )
            for n, r in enumerate(a["replies"], start=1):
                rows.append(
                    [
                        q["number"],
                        q["text"],
                        r["author"],
                        r["text"],
                        r["votes"],
                        False,
                        r["hidden"],
                        r["waiting"],
                        "",
                        0,
                        _iso(r["created_at"]),
                        _iso(r["edited_at"]),
                        "reply",
                        f"{ref}.{n}",
                        ref,
                        r["move_label"],
                    ]
                )
    return _csv_bytes(rows)


# --- Markdown ----------------------------------------------------------------------------------

# Escaped wherever they stand. "_" only where it could open or close emphasis (not inside a
# word: snake_case stays as typed), "~" only when there are two to strike text through
# ("~200" stays as typed), ">" at the start of a line (below).
_MD_SPECIAL = re.compile(r"([\\`*\[\]<|])")
_MD_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")
# What would turn a line into a heading, quote, list item or thematic break.
_MD_LINE_START = re.compile(r"^(\s*)(#|>|[-+*](?=\s|$)|=+\s*$|-+\s*$)")
_MD_ORDERED = re.compile(r"^(\s*\d+)([.)])(?=\s|$)")


def md_text(text: str) -> str:
    """User text as Markdown that renders as exactly that text (no markup, no raw HTML)."""
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MD_UNDERSCORE.sub(r"\\_", text)
    if text.count("~") > 1:
        text = text.replace("~", "\\~")
    text = _MD_ENTITY.sub(r"\\&", text)
    return "\n".join(
        _MD_ORDERED.sub(r"\1\\\2", _MD_LINE_START.sub(r"\1\\\2", line)) for line in text.split("\n")
    )


def md_line(text: str) -> str:
    """User text on one line (a heading or a table cell): whitespace folded."""
    return md_text(" ".join(text.split()))


def md_block(text: str, indent: str = "") -> str:
    """Multi-line user text: line breaks kept (hard breaks), continuation lines indented."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    out = []
    for paragraph in paragraphs:
        lines = [md_text(line.strip()) for line in paragraph.split("\n") if line.strip()]
        out.append(("\\\n" + indent).join(lines))
    return ("\n\n" + indent).join(out)


def _local(value: datetime | None, fmt: str) -> str:
    return timezone.localtime(value).strftime(fmt) if value else "—"


def ordinal(n: int) -> str:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th", 23 -> "23rd"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def discussed_text(a: dict) -> str:
    """ "discussed 2nd, 3 min on the board", or "" for an answer not discussed."""
    if not a["discussed"]:
        return ""
    text = f"discussed {ordinal(a['discussed'])}"
    if a["discussed_seconds"]:
        text += f", {format_duration(a['discussed_seconds'])} on the board"
    return text


def _votes(n: int) -> str:
    return f"{n} vote" if n == 1 else f"{n} votes"


def replies_text(counts: dict) -> str:
    """ "3 replies: 2 Build on, 1 Question", or "" without replies the class saw."""
    total = sum(counts.values())
    if not total:
        return ""
    labels = dict(Answer.Move.choices)
    moves = ", ".join(f"{n} {labels[move]}" for move, n in counts.items() if n)
    return f"{total} repl{'y' if total == 1 else 'ies'}: {moves}"


def answered_text(q: dict) -> str:
    """ "Answered by 8 of 9 students present (89%)", or that it was never opened."""
    if q["opened_at"] is None and not q["answered"]:
        return "Not opened in this session"
    present = q["present"]
    text = f"Answered by {q['answered']} of {present} student{'' if present == 1 else 's'} present"
    if q["answered_share"] is not None:
        text += f" ({round(q['answered_share'] * 100)}%)"
    return text


def percent(share: float) -> str:
    """0.3333 -> "33%"."""
    return f"{round(share * 100)}%"


def concentration_text(p: dict) -> str:
    """ "the most active 15% (2 students) wrote 40% of them", or "" when nobody posted."""
    if p["top_share"] is None:
        return ""
    who = f"{p['top_count']} student{'' if p['top_count'] == 1 else 's'}"
    return f"the most active {p['top_percent']}% ({who}) wrote {percent(p['top_share'])} of them"


GINI_MEANING = "0 = everyone posted equally, 1 = one student wrote everything"


def _md_participation(p: dict) -> list[str]:
    """The Participation section: the figures, a table by question, the silent students."""
    lines = ["## Participation", ""]
    if not p["present"]:
        return lines + ["Nobody was counted: no question was open while students were here.", ""]
    posts = f"- Posts (answers and replies, hidden ones included): {p['posts']}"
    if concentration_text(p):
        posts += f"; {concentration_text(p)}"
    lines += [
        f"- Present while a question was open: {p['present']}",
        f"- Posted: {p['posted']} (answered: {p['answered']}, replied: {p['replied']})",
        f"- Voted: {p['voted']}",
        f"- Present but silent: {p['silent']}",
        posts,
    ]
    if p["gini"] is not None:
        lines.append(f"- Spread of posts (Gini): {p['gini']:.2f} ({GINI_MEANING})")
    lines += [
        "",
        "| Question | Present | Answered | Replied | Voted | Silent | Posts |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for q in p["questions"]:
        figures = [q[k] for k in ("present", "answered", "replied", "voted", "silent", "posts")]
        lines.append(f"| {q['number']} | " + " | ".join(map(str, figures)) + " |")
    lines.append("")
    if p["silent_students"]:
        names = ", ".join(
            f"**{md_line(s['name'])}**" + (" (voted)" if s["voted"] else "")
            for s in p["silent_students"]
        )
        lines += [f"Present but silent: {names}.", ""]
    return lines


def render_md(data: dict) -> bytes:
    s = data["session"]
    total = s["participant_count"]
    lines = [f"# {md_line(s['title'])}", ""]
    guide = md_line(s["guide"]["title"])
    if s["guide"]["subtitle"]:
        guide += f" ({md_line(s['guide']['subtitle'])})"
    lines += [
        f"- Guide: {guide}",
        f"- Join code: {s['code']}",
        f"- Date: {_local(s['started_at'], '%Y-%m-%d')}",
        f"- Started: {_local(s['started_at'], '%H:%M')}",
        f"- Ended: {_local(s['ended_at'], '%H:%M') if s['ended_at'] else 'still running'}",
        f"- Duration: {format_duration(s['duration_seconds'])}",
        f"- Participants: {total}",
        f"- Answers discussed: {s['discussed_count']}",
        f"- Replies: {s['reply_count']}",
        f"- Names: {'pseudonyms' if data['names'] == 'pseudonyms' else 'real names'}",
        "",
        "## Timeline",
        "",
        "| # | Step | Time spent | Visits |",
        "| ---: | --- | ---: | ---: |",
    ]
    for step in data["steps"]:
        spent = format_duration(step["seconds"]) if step["visits"] else "—"
        label = md_line(step["label"])
        lines.append(f"| {step['number']} | {label} | {spent} | {step['visits']} |")
    lines.append("")
    lines += _md_participation(data["participation"])
    lines += ["## Steps", ""]
    for section in sections(data):
        step, q = section["step"], section["question"]
        lines += [f"### {step['number']}. {md_line(step['label'])}", ""]
        if q is not None:
            lines += [f"> {md_block(q['text'], '> ')}", ""]
            answered = answered_text(q)
            if q["hidden"]:
                answered += f"; {q['hidden']} hidden"
            if q["waiting"]:
                answered += f"; {q['waiting']} waiting for review"
            if replies_text(q["reply_counts"]):
                answered += f"; {replies_text(q['reply_counts'])}"
            lines += [answered + ".", ""]
            for a in q["answers"]:
                marks = "".join(f" ({mark})" for mark in ("pinned", "hidden") if a[mark])
                if a["waiting"]:
                    marks += " (waiting for review)"
                if a["discussed"]:
                    marks += f" ({discussed_text(a)})"
                lines.append(
                    f"- **{md_line(a['author'])}**, {_votes(a['votes'])}{marks}: "
                    f"{md_block(a['text'], '  ')}"
                )
                for r in a["replies"]:
                    marks = " (hidden)" if r["hidden"] else ""
                    marks += " (waiting for review)" if r["waiting"] else ""
                    lines.append(
                        f"  - *{r['move_label']}*, **{md_line(r['author'])}**, "
                        f"{_votes(r['votes'])}{marks}: {md_block(r['text'], '    ')}"
                    )
            if q["answers"]:
                lines.append("")
        if step["note"]:
            lines += ["**Notes:**", "", md_block(step["note"]), ""]
    return ("\n".join(lines).rstrip("\n") + "\n").encode("utf-8")


# --- HTML --------------------------------------------------------------------------------------


def render_html(data: dict) -> bytes:
    """A standalone page with an inline print stylesheet ("Save as PDF" gives a tidy document).

    The stylesheet is the summary page's own (static/seminar/summary.css), inlined: the file is
    opened from disk, where a <link> to the app would not resolve.
    """
    ctx = page_context(data)
    ctx.update(css=mark_safe(_summary_css()), show_hidden=True)  # our own file, not user text
    return render_to_string("seminar/export.html", ctx).encode("utf-8")


@functools.cache
def _summary_css() -> str:
    path = finders.find("seminar/summary.css")
    if path:
        css = Path(path).read_text(encoding="utf-8")
    else:  # installed without the source tree: the collected copy
        with staticfiles_storage.open("seminar/summary.css") as file:
            css = file.read().decode("utf-8")
    return css.replace("</", "<\\/")  # cannot end the <style> element early


def page_context(data: dict) -> dict:
    """What the HTML export and the summary page render: the data plus display strings."""
    s = data["session"]
    data = {
        **data,
        "steps": [
            {**step, "spent": format_duration(step["seconds"]) if step["visits"] else "—"}
            for step in data["steps"]
        ],
        "questions": [
            {
                **q,
                "answered_text": answered_text(q),
                "replies_text": replies_text(q["reply_counts"]),
                "answers": [
                    {
                        **a,
                        "discussed_text": discussed_text(a),
                        "replies_text": replies_text(a["reply_counts"]),
                    }
                    for a in q["answers"]
                ],
            }
            for q in data["questions"]
        ],
    }
    p = data["participation"]
    return {
        "data": data,
        "s": s,
        "participation": {
            **p,
            "top_percent_text": percent(p["top_share"]) if p["top_share"] is not None else "",
            "concentration_text": concentration_text(p),
            "gini_meaning": GINI_MEANING,
        },
        "duration": format_duration(s["duration_seconds"]),
        "sections": sections(data),
        "pseudonyms": data["names"] == "pseudonyms",
    }


RENDERERS = {"md": render_md, "csv": render_csv, "json": render_json, "html": render_html}
