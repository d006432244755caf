"""Hostile text is shown as text everywhere: pages, live fragments and exports.

Answers, names, notes, session titles and imported guides carry HTML, scripts, event handlers,
`javascript:` URLs and template syntax. Every HTML page and websocket frame is parsed: no
element, attribute or script may come from the payload, and the payload must be readable as
text. The Markdown, CSV and JSON exports carry the text as data (read back exactly).
"""

import csv
import io
import json
import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from guide.services import guide_import
from seminar import identity, selectors, services
from tests.live_clients import communicator, receive_until

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    '"><svg onload=alert(3)>',
    '<a href="javascript:alert(4)">x</a>',
    "javascript:alert(5)",
    "{{ session.facilitator.password }}",
    "{% debug %}{% csrf_token %}",
    "' onmouseover='alert(6)",
]
NAMES = ["<b>Bold</b>", "<img src=x onerror=alert(7)>", "{{ request }}", '" onfocus="alert(8)']


class Inspector(HTMLParser):
    """What a browser would make of the HTML: elements, attributes, scripts, and the text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._in_script = True
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if value.strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if "alert(" in value and not name.startswith(("value", "data-", "aria-", "title")):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in ("value", "title", "aria-label", "placeholder"):
                self.text.append(value)
        if tag in ("svg", "img") and any("alert" in (v or "") for _, v in attrs):
            self.problems.append(f"<{tag}> from a payload")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            if "alert(" in data:
                self.problems.append(f"script with {data[:40]!r}")
        else:
            self.text.append(data)


def inspect(html: str) -> Inspector:
    inspector = Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector


def assert_inert(html: str, *, shows: list[str] = (), where: str = "") -> None:
    inspector = inspect(html)
    assert inspector.problems == [], where
    text = "".join(inspector.text)
    for payload in shows:
        assert payload in text, f"{payload!r} is not shown as text on {where}"
    # Template syntax was never evaluated: no password hash, no debug dump, no request repr.
    assert "md5$" not in html and "pbkdf2_sha256$" not in html, where
    assert "<WSGIRequest" not in html and "&lt;WSGIRequest" not in html, where
    assert "sql_queries" not in html, where


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def hostile(facilitator, guide):
    """A session full of payloads: names shown on the board, answers readable by all, notes."""
    session = services.session_start(
        facilitator=facilitator,
        guide=guide,
        title=PAYLOADS[0] + PAYLOADS[5],
        names_hidden=False,
        answer_first=False,
    )
    people = [services.participant_join(session=session, name=name) for name in NAMES]
    for number in (1, 2, 3):
        services.question_set_open(session=session, by=facilitator, number=number, is_open=True)
    answers = []
    for i, payload in enumerate(PAYLOADS):
        person, number = people[i % len(people)], 1 + i // len(people)
        answers.append(
            services.answer_post(
                participant=person, number=number, text=payload, client_token=None
            )[0]
        )
    services.answer_set_pinned(
        session=session, by=facilitator, answer_id=answers[0].pk, pinned=True
    )
    services.vote_toggle(participant=people[1], answer_id=answers[0].pk)
    # Every payload also as a reply (one of each move) to the pinned answer, by a classmate.
    replies = [
        services.reply_post(
            participant=people[1 + i % (len(people) - 1)],
            answer_id=answers[0].pk,
            move=("build", "challenge", "question")[i % 3],
            text=payload,
            client_token=None,
        )[0]
        for i, payload in enumerate(PAYLOADS)
    ]
    for step in selectors.agenda(session):
        services.note_save(
            session=session, by=facilitator, step_key=step.key, text="\n".join(PAYLOADS)
        )
    services.step_go(session=session, by=facilitator, to=_step_of(session, "question-1"))
    return {"session": session, "people": people, "answers": answers, "replies": replies}


def _step_of(session, key):
    return next(i for i, s in enumerate(selectors.agenda(session)) if s.key == key)


def student(person) -> Client:
    client = Client()
    django_session = client.session
    identity.remember(django_session, person)
    django_session.save()
    return client


def test_every_page_shows_payloads_as_text(hostile, facilitator_client):
    code = hostile["session"].code
    q1 = [a.text for a in hostile["answers"] if a.question.number == 1]
    pages = {
        "room": (student(hostile["people"][0]), f"/s/{code}/", PAYLOADS + NAMES),
        "room state": (student(hostile["people"][1]), f"/s/{code}/state/", PAYLOADS + NAMES),
        "board": (Client(), f"/s/{code}/board/", q1 + NAMES[:2]),
        "console": (facilitator_client, f"/facilitate/{code}/", PAYLOADS + NAMES),
        "sessions": (facilitator_client, "/facilitate/", [PAYLOADS[0]]),
        "summary": (facilitator_client, f"/facilitate/{code}/summary/", PAYLOADS + NAMES),
        "end": (facilitator_client, f"/facilitate/{code}/end/", []),
        "delete": (facilitator_client, f"/facilitate/{code}/delete/", []),
        "html export": (facilitator_client, f"/facilitate/{code}/export/html", PAYLOADS + NAMES),
    }
    for where, (client, url, shows) in pages.items():
        response = client.get(url)
        assert response.status_code == 200, where
        assert_inert(response.content.decode(), shows=shows, where=where)


def test_the_join_form_and_the_room_escape_a_hostile_name_being_typed(client, session):
    """A refused name comes back in the form's value attribute: escaped, never markup."""
    name = '"><script>alert(9)</script>' + "x" * 40
    response = client.post(f"/j/{session.code}", {"name": name})
    assert response.status_code == 400
    assert_inert(response.content.decode(), shows=[name], where="join form")


def test_a_refused_answer_keeps_the_hostile_text_as_text(hostile):
    """The inline error page puts the student's text back in the box."""
    session = hostile["session"]
    ana = hostile["people"][0]
    text = "</textarea><script>alert(10)</script>"
    client = student(ana)
    response = client.post(f"/s/{session.code}/q/1/answer/", {"text": text})
    assert response.status_code == 409
    assert_inert(response.content.decode(), shows=[text], where="refused post")
    response = client.post(f"/s/{session.code}/q/1/answer/", {"text": text}, HTTP_HX_REQUEST="true")
    assert_inert(response.content.decode(), shows=[text], where="refused htmx post")


def test_exports_carry_the_text_as_data(hostile, facilitator_client):
    code = hostile["session"].code

    data = json.loads(facilitator_client.get(f"/facilitate/{code}/export/json").content)
    texts = {a["text"] for q in data["questions"] for a in q["answers"]}
    authors = {a["author"] for q in data["questions"] for a in q["answers"]}
    assert set(PAYLOADS) <= texts and set(NAMES) <= authors

    body = facilitator_client.get(f"/facilitate/{code}/export/csv").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert set(PAYLOADS) <= {row["answer"] for row in rows}
    assert set(NAMES) <= {row["participant"] for row in rows}

    md = facilitator_client.get(f"/facilitate/{code}/export/md").content.decode()
    # Markdown renders raw HTML: every < is escaped, so a viewer shows the text, not markup.
    assert re.search(r"(?<!\\)<", md) is None
    plain = md.replace("\\", "")
    for text in PAYLOADS + NAMES:
        assert text in plain


@pytest.mark.django_db(transaction=True)
def test_every_live_fragment_shows_payloads_as_text(facilitator, guide, broadcasts):
    """Every frame the sockets would carry for every kind of change, parsed."""
    session = services.session_start(
        facilitator=facilitator,
        guide=guide,
        title=PAYLOADS[1],
        names_hidden=False,
    )
    people = [services.participant_join(session=session, name=name) for name in NAMES]
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    services.step_go(session=session, by=facilitator, to=_step_of(session, "question-1"))
    services.note_save(session=session, by=facilitator, step_key="question-1", text=PAYLOADS[0])
    answers = [
        services.answer_post(participant=p, number=1, text=PAYLOADS[i], client_token=None)[0]
        for i, p in enumerate(people)
    ]
    services.answer_edit(participant=people[0], answer_id=answers[0].pk, text=PAYLOADS[5])
    services.vote_toggle(participant=people[1], answer_id=answers[0].pk)
    # Every payload also as a reply (one of each move) to the pinned answer, by a classmate.
    [
        services.reply_post(
            participant=people[1 + i % (len(people) - 1)],
            answer_id=answers[0].pk,
            move=("build", "challenge", "question")[i % 3],
            text=payload,
            client_token=None,
        )[0]
        for i, payload in enumerate(PAYLOADS)
    ]
    services.answer_set_pinned(
        session=session, by=facilitator, answer_id=answers[2].pk, pinned=True
    )
    services.answer_set_hidden(
        session=session, by=facilitator, answer_id=answers[3].pk, hidden=True
    )
    services.answer_set_hidden(
        session=session, by=facilitator, answer_id=answers[3].pk, hidden=False
    )
    services.session_update_settings(session=session, by=facilitator, board_order="votes")
    services.question_set_open(session=session, by=facilitator, number=1, is_open=False)
    services.step_next(session=session, by=facilitator)
    services.session_end(session=session, by=facilitator)

    assert len(broadcasts.changes) >= 14
    parts = [(audience, html) for m in broadcasts.changes for audience, html in m["parts"]]
    for audience, html in parts:
        assert_inert(html, where=f"frame to {audience}")
    everything = "".join(html for _, html in parts)
    assert_inert(everything, shows=[*PAYLOADS, *NAMES], where="all frames")


@pytest.mark.django_db(transaction=True)
async def test_socket_snapshots_show_payloads_as_text(hostile, facilitator_client):
    """The snapshot frames themselves, through the real consumer, for all three screens."""
    from channels.db import database_sync_to_async

    code = hostile["session"].code
    ana = await database_sync_to_async(student)(hostile["people"][0])
    for path, client in [
        (f"/ws/s/{code}/", ana),
        (f"/ws/s/{code}/board/", None),
        (f"/ws/facilitate/{code}/", facilitator_client),
    ]:
        comm = communicator(path, client)
        connected, _ = await comm.connect()
        assert connected
        frame = await receive_until(comm, "snapshot")
        shows = [a.text for a in hostile["answers"] if a.question.number == 1]
        assert_inert(frame, shows=shows, where=path)
        await comm.disconnect()


HOSTILE_GUIDE = """\
<script>alert(11)</script> Guide - <img src=x onerror=alert(12)>

Overview
{{ settings.SECRET_KEY }} and <a href="javascript:alert(13)">a link</a>.

Key Themes
1. <svg onload=alert(14)>
{% debug %} body with <iframe src="javascript:alert(15)"></iframe>

Key Quotes
  • "<b onmouseover=alert(16)>quoted</b>" - <i>Someone</i>

Key People and References
  • <u onclick=alert(18)>Person</u> — javascript:alert(19)

Discussion Questions
1. Is "><script>alert(17)</script> a question?
2. {{ request.user.password }}?
"""


def test_an_imported_hostile_guide_is_text_on_every_page(facilitator_client, facilitator, settings):
    preview = facilitator_client.post("/guides/import/", {"text": HOSTILE_GUIDE})
    assert preview.status_code == 200
    assert_inert(preview.content.decode(), shows=["<svg onload=alert(14)>"], where="preview")
    guide = guide_import(text=HOSTILE_GUIDE).guide
    assert "<script>" in guide.title  # stored as typed; escaping is the pages' job
    pages = {"guide list": "/guides/", "guide page": f"/guides/{guide.slug}/"}
    session = services.session_start(facilitator=facilitator, guide=guide)
    participant = services.participant_join(session=session, name="Ana")
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    for key in ("overview", "theme-1", "quotes", "question-1"):
        services.step_go(session=session, by=facilitator, to=_step_of(session, key))
        pages.update(
            {
                f"room {key}": f"/s/{session.code}/",
                f"board {key}": f"/s/{session.code}/board/",
                f"console {key}": f"/facilitate/{session.code}/",
            }
        )
        for where, url in pages.items():
            client = student(participant) if url.startswith("/s/") else facilitator_client
            response = client.get(url)
            assert response.status_code == 200, where
            html = response.content.decode()
            assert_inert(html, where=where)
            assert settings.SECRET_KEY not in html or len(settings.SECRET_KEY) < 8
    for fmt in ("html", "md"):
        body = facilitator_client.get(f"/facilitate/{session.code}/export/{fmt}").content.decode()
        if fmt == "html":
            assert_inert(body, shows=['Is "><script>alert(17)</script> a question?'], where=fmt)
        else:
            assert re.search(r"(?<!\\)<", body) is None


@pytest.mark.parametrize("unescaped", PAYLOADS[:4] + ["<b onmouseover=alert(16)>x</b>"])
def test_the_inspector_would_catch_each_payload_unescaped(unescaped):
    """The checks above are only as good as this: raw payloads must be caught."""
    assert inspect(f"<p>{unescaped}</p>").problems


def test_the_board_spotlight_shows_hostile_replies_as_text(hostile, facilitator):
    session = hostile["session"]
    services.answer_spotlight(session=session, by=facilitator, answer_id=hostile["answers"][0].pk)
    response = Client().get(f"/s/{session.code}/board/")
    # The board shows the newest six replies.
    assert_inert(response.content.decode(), shows=PAYLOADS[-6:], where="board spotlight")


def test_a_refused_reply_keeps_the_hostile_text_as_text(hostile):
    session, people = hostile["session"], hostile["people"]
    text = "</textarea><script>alert(11)</script>"
    url = f"/s/{session.code}/answers/{hostile['answers'][1].pk}/reply/"
    response = student(people[0]).post(url, {"move": "nonsense", "text": text})
    assert response.status_code == 400
    assert_inert(response.content.decode(), shows=[text], where="refused reply")


def test_reply_exports_carry_the_text_as_data(hostile, facilitator_client):
    code = hostile["session"].code
    data = json.loads(facilitator_client.get(f"/facilitate/{code}/export/json").content)
    texts = {r["text"] for q in data["questions"] for a in q["answers"] for r in a["replies"]}
    assert set(PAYLOADS) <= texts
    body = facilitator_client.get(f"/facilitate/{code}/export/csv").content.decode("utf-8-sig")
    rows = [row for row in csv.DictReader(io.StringIO(body)) if row["kind"] == "reply"]
    assert set(PAYLOADS) <= {row["answer"] for row in rows}


def test_the_word_cloud_shows_hostile_words_as_text(hostile, facilitator, facilitator_client):
    """Terms are words of the answers: on the board's cloud and the console's term buttons
    (and each answer's data-terms) they are text, whatever the answers were."""
    session = hostile["session"]
    services.question_set_board_view(session=session, by=facilitator, number=1, view="cloud")
    board = Client().get(f"/s/{session.code}/board/").content.decode()
    assert 'id="terms-1"' in board
    assert_inert(board, shows=["onerror", "script", "alert"], where="board cloud")
    console = facilitator_client.get(f"/facilitate/{session.code}/").content.decode()
    assert 'id="cterm-1-onerror"' in console
    assert_inert(console, shows=["onerror", "script"], where="console terms")


@pytest.mark.django_db(transaction=True)
def test_live_word_cloud_frames_show_hostile_words_as_text(facilitator, guide, broadcasts):
    session = services.session_start(facilitator=facilitator, guide=guide, names_hidden=False)
    people = [services.participant_join(session=session, name=name) for name in NAMES]
    services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
    services.step_go(session=session, by=facilitator, to=_step_of(session, "question-1"))
    services.question_set_board_view(session=session, by=facilitator, number=1, view="cloud")
    for i, person in enumerate(people):
        services.answer_post(
            participant=person, number=1, text=" ".join(PAYLOADS[i::4]), client_token=None
        )
    board = broadcasts.html_to("board")
    assert 'data-into="terms-1"' in board
    parts = [(audience, html) for m in broadcasts.changes for audience, html in m["parts"]]
    for audience, html in parts:
        assert_inert(html, where=f"frame to {audience}")
    assert_inert(board, shows=["onerror", "javascript", "onmouseover"], where="cloud frames")
