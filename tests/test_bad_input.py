"""Bad input tried: every form and every websocket message the server accepts, fuzzed.

Property-based (hypothesis): whatever arrives, the answer is a clear 4xx (or the change, when
the input was valid), never a 500; what is written is exactly the cleaned input, or nothing;
a socket that was sent garbage answers with an error or ignores it, and a later resync still
works.
"""

import json
import string
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.test import Client, override_settings
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from seminar import names, selectors, services
from seminar.errors import SessionError
from seminar.models import Answer, Participant, Session, StepNote, Vote
from tests.helpers import as_student
from tests.live_clients import communicator, receive_until

FUZZ = hsettings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text a keyboard, a paste or a script could produce (lone surrogates cannot be sent as UTF-8;
# invalid bytes are fuzzed separately, as raw bodies).
EDGE_TEXT = [
    "",
    " ",
    "\t\n",
    "\x00",
    "a\x00b",
    "\u202eevil",
    "\ufeffbom",
    "\u200b",
    "e\u0301",
    "\u00e9",
    "👍🏽" * 3,
    "🏳️‍🌈",
    "\r\n\r\n",
    "a" * 2000,
    "a" * 2001,
    " " * 3000 + "x",
    "ß" * 40,
    "ß" * 41,
    "{{ x }}",
    "{% debug %}",
    "<script>",
    "NULL",
    "0",
    "-1",
    "1e9",
    "²",
    "١",
    "Ⅻ",
    "9" * 40,
    "\U0010ffff",
    "\x7f",
    "\x1b[31m",
]
texts = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=60),
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1900, max_size=2100),
    st.sampled_from(EDGE_TEXT),
)


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    """Fuzzing is not guessing: rate limits would hide the validation under test."""
    settings.SEMINAR_JOIN_RATE = settings.SEMINAR_POST_RATE = 10**9


def rows() -> tuple:
    return (
        list(Answer.objects.order_by("pk").values_list("pk", "text", "hidden", "pinned")),
        Participant.objects.count(),
        Vote.objects.count(),
        Session.objects.count(),
        list(StepNote.objects.values_list("step_key", "text")),
    )


def cleaned(clean, text):
    try:
        return clean(text)
    except SessionError:
        return None


# --- forms ---


@FUZZ
@given(code=texts)
def test_join_code_form(db, session, code):
    before = Participant.objects.count()
    response = Client(raise_request_exception=False).post("/join/", {"code": code})
    assert response.status_code in (302, 400, 404)
    if response.status_code == 302:
        assert response["Location"] == f"/j/{session.code}"
        assert "".join(code.split()).upper() == session.code
    assert Participant.objects.count() == before


@FUZZ
@given(code=st.from_regex(r"\A[A-Za-z0-9]{6}\Z"))
def test_join_link_with_any_well_shaped_code(db, session, code):
    response = Client(raise_request_exception=False).get(f"/j/{code}")
    assert response.status_code == (200 if code.upper() == session.code else 404)


@FUZZ
@given(name=texts)
def test_name_form(db, session, name):
    before = set(Participant.objects.values_list("pk", flat=True))
    existing = list(session.participants.values_list("name", flat=True))  # earlier examples'
    response = Client(raise_request_exception=False).post(f"/j/{session.code}", {"name": name})
    # The form reads at most 160 characters; the service's rules apply after trimming.
    expected = cleaned(services.clean_name, name) if len(name) <= 160 else None
    new = Participant.objects.exclude(pk__in=before)
    if expected is None:
        assert response.status_code == 400
        assert not new.exists()
    elif names.is_taken(expected, existing):  # refused, with a free name to take instead
        assert response.status_code == 409
        assert not new.exists()
    else:
        assert response.status_code == 302
        assert new.count() == 1
        assert new.get().name == expected


@FUZZ
@given(text=texts, token=st.one_of(st.uuids().map(str), texts), number=st.integers(0, 10**25))
def test_answer_form(db, session, participant, open_question, text, token, number):
    client = as_student(participant)
    before = rows()
    response = client.post(
        f"/s/{session.code}/q/{number}/answer/", {"text": text, "client_token": token}
    )
    assert response.status_code < 500
    expected = cleaned(services.clean_answer_text, text)
    if response.status_code == 302:
        assert number == 1 and expected is not None
        answer = Answer.objects.get(participant=participant)
        assert answer.text == expected
        answer.delete()  # ready for the next example
    else:
        assert response.status_code in (400, 404)
        assert rows() == before


@FUZZ
@given(text=texts, htmx=st.booleans())
def test_edit_form(db, session, participant, answer, text, htmx):
    client = as_student(participant)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    before = Answer.objects.get(pk=answer.pk).text
    response = client.post(
        f"/s/{session.code}/answers/{answer.pk}/edit/", {"text": text}, **headers
    )
    expected = cleaned(services.clean_answer_text, text)
    answer.refresh_from_db()
    if expected is None:
        assert response.status_code == 400
        assert answer.text == before
    else:
        assert response.status_code == (200 if htmx else 302)
        assert answer.text == expected


@FUZZ
@given(pk=st.one_of(st.integers(0, 10**25), st.just(None)), htmx=st.booleans())
def test_vote_on_any_answer_id(db, session, participant, answer, pk, htmx):
    ben = services.participant_join(session=session, name=f"Ben {uuid.uuid4().hex[:6]}")
    services.answer_post(participant=ben, number=1, text="Ben's", client_token=None)
    pk = answer.pk if pk is None else pk
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = as_student(ben).post(f"/s/{session.code}/answers/{pk}/vote/", **headers)
    assert response.status_code < 500
    target = Answer.objects.filter(pk=pk, session=session).exclude(participant=ben).first()
    if target is not None:
        assert response.status_code in (204, 302)
        assert Vote.objects.filter(answer=target, participant=ben).count() == 1
    else:
        assert response.status_code == 404
        assert not Vote.objects.filter(participant=ben).exists()


@FUZZ
@given(
    to=st.one_of(texts, st.sampled_from(["next", "previous", "3", " 3", "03", "-1"])),
    htmx=st.booleans(),
)
@example(to="²", htmx=False)  # str.isdigit() is true for it; int() is not: was a 500
@example(to="²", htmx=True)
def test_step_form(db, session, owner, to, htmx):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    session.refresh_from_db()
    before, steps = session.current_step, len(selectors.agenda(session))
    if to == "next":
        expected = min(before + 1, steps - 1)
    elif to == "previous":
        expected = max(before - 1, 0)
    elif to.isascii() and to.isdigit() and int(to) < steps:
        expected = int(to)
    else:
        expected = None  # refused
    response = owner.post(f"/facilitate/{session.code}/step/", {"to": to}, **headers)
    assert response.status_code == ((204 if expected is not None else 400) if htmx else 302)
    session.refresh_from_db()
    assert session.current_step == (before if expected is None else expected)


@FUZZ
@given(order=texts, names=st.one_of(texts, st.none()), theme=st.one_of(texts, st.none()))
def test_settings_form(db, session, owner, order, names, theme):
    data = {"board_order": order} | ({} if names is None else {"names_hidden": names})
    data |= {} if theme is None else {"board_theme": theme}
    response = owner.post(f"/facilitate/{session.code}/settings/", data)
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.board_order in Session.BoardOrder.values
    assert session.board_theme in Session.BoardTheme.values
    refused = (order and order not in Session.BoardOrder.values) or (
        theme and theme not in Session.BoardTheme.values
    )
    if refused:  # refused whole: nothing changed
        assert (session.board_order, session.board_theme) == ("newest", "light")


def test_an_unknown_board_theme_is_refused_with_a_message(db, session, owner):
    response = owner.post(
        f"/facilitate/{session.code}/settings/",
        {"board_order": "votes", "board_theme": "neon"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert "Unknown board theme" in response.content.decode()
    session.refresh_from_db()
    assert (session.board_order, session.board_theme) == ("newest", "light")


def turn(owner, session, direction):
    return owner.post(
        f"/facilitate/{session.code}/board/turn/", {"direction": direction}, HTTP_HX_REQUEST="true"
    )


@FUZZ
@given(direction=texts)
def test_board_turn_form(db, session, owner, direction):
    services.step_go(session=session, by=session.facilitator, to=7)  # question 1: answers page
    session.refresh_from_db()
    before = session.board_turns
    response = turn(owner, session, direction)
    session.refresh_from_db()
    if direction in ("next", "previous"):
        assert response.status_code == 204
        assert session.board_turns == before + (1 if direction == "next" else -1)
    else:
        assert response.status_code == 400
        assert "Choose the next or the previous page." in response.content.decode()
        assert session.board_turns == before


def test_a_board_turn_on_a_step_without_pages_or_after_the_end_is_refused(db, session, owner):
    services.step_go(session=session, by=session.facilitator, to=2)  # a theme: one page
    response = turn(owner, session, "next")
    assert response.status_code == 409
    assert "The board has no pages on this step" in response.content.decode()
    services.step_go(session=session, by=session.facilitator, to=7)
    services.session_end(session=session, by=session.facilitator)
    response = turn(owner, session, "next")
    assert response.status_code == 400 and "ended" in response.content.decode()
    session.refresh_from_db()
    assert session.board_turns == 0


@FUZZ
@given(view=st.one_of(texts, st.sampled_from(["answers", "cloud", "Cloud", " cloud"])))
def test_board_view_form(db, session, owner, view):
    """How the board shows a question: "answers" or "cloud" exactly, else a 400 that says so
    and nothing written."""
    before = session.question_states.get(question__number=1).board_view
    response = owner.post(
        f"/facilitate/{session.code}/q/1/board-view/", {"view": view}, HTTP_HX_REQUEST="true"
    )
    after = session.question_states.get(question__number=1).board_view
    if view in ("answers", "cloud"):
        assert response.status_code == 204 and after == view
    else:
        assert response.status_code == 400
        assert "“Answers” or as a “Word cloud”" in response.content.decode()
        assert after == before


@FUZZ
@given(
    guide_id=st.one_of(texts, st.just("GUIDE")), title=texts, names_hidden=texts, answer_first=texts
)
@example(guide_id="²", title="", names_hidden="", answer_first="")  # was a 500 on the GET
def test_session_start_form(db, guide, owner, guide_id, title, names_hidden, answer_first):
    guide_id = str(guide.pk) if guide_id == "GUIDE" else guide_id
    before = set(Session.objects.values_list("pk", flat=True))
    response = owner.post(
        "/facilitate/new/",
        {
            "guide": guide_id,
            "title": title,
            "names_hidden": names_hidden,
            "answer_first": answer_first,
        },
    )
    new = Session.objects.exclude(pk__in=before)
    if response.status_code == 302:
        assert guide_id.strip() == str(guide.pk)
        session = new.get()
        assert session.title == title.strip() and len(session.title) <= 200
        assert "\x00" not in session.title
        session.delete()
    else:
        assert response.status_code == 400
        assert not new.exists()
    assert owner.get(f"/facilitate/new/?guide={guide_id}").status_code == 200


@FUZZ
@given(
    text=texts,
    key=st.one_of(
        st.sampled_from(["overview", "lobby", "question-1"]),
        st.from_regex(r"\A[-a-zA-Z0-9_]{1,20}\Z"),
    ),
)
def test_notes_form(db, session, owner, text, key):
    response = owner.post(f"/facilitate/{session.code}/notes/{key}/", {"text": text})
    keys = {s.key for s in selectors.agenda(session)}
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    note = StepNote.objects.filter(session=session, step_key=key).first()
    if key in keys and "\x00" not in text and len(expected) <= services.NOTE_MAX_LENGTH:
        assert response.status_code == 302
        assert note.text == expected
    else:
        assert response.status_code == 400
        assert note is None or note.text != text or text == expected


@FUZZ
@given(value=texts, action=st.sampled_from(["hide", "pin"]))
def test_moderation_flags(db, session, owner, answer, value, action):
    response = owner.post(
        f"/facilitate/{session.code}/answers/{answer.pk}/{action}/", {"value": value}
    )
    assert response.status_code == 302
    answer.refresh_from_db()
    flag = value not in {"0", "false", "off", ""}
    assert (answer.hidden if action == "hide" else answer.pinned) is flag


@FUZZ
@given(
    names=texts,
    fmt=st.one_of(
        st.sampled_from(["md", "csv", "json", "html"]),
        st.text(string.ascii_letters + ".", min_size=1, max_size=8),
    ),
)
def test_export_query_and_format(db, session, owner, answer, names, fmt):
    response = owner.get(f"/facilitate/{session.code}/export/{fmt}", {"names": names})
    assert response.status_code < 500
    if fmt not in ("md", "csv", "json", "html", "participants.csv"):
        assert response.status_code == 404
    elif names not in ("", "real", "pseudonyms"):
        assert response.status_code == 400


POST_URLS = [
    ("anon", "/join/"),
    ("anon", "/j/{code}"),
    ("student", "/s/{code}/q/1/answer/"),
    ("student", "/s/{code}/answers/{answer}/edit/"),
    ("student", "/s/{code}/answers/{answer}/vote/"),
    ("owner", "/facilitate/new/"),
    ("owner", "/facilitate/{code}/step/"),
    ("owner", "/facilitate/{code}/settings/"),
    ("owner", "/facilitate/{code}/notes/overview/"),
    ("owner", "/facilitate/{code}/answers/{answer}/hide/"),
    ("owner", "/facilitate/{code}/q/1/board-view/"),
    ("owner", "/guides/import/"),
    ("owner", "/guides/import/confirm/"),
]


@pytest.mark.parametrize("who, url", POST_URLS)
@hsettings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=st.one_of(
        st.binary(max_size=300),
        st.sampled_from(
            [
                b"text=%ff%fe%00&name=%c3%28&code=%e2%82",
                b"=&=&&&",
                b"text" * 1000,
                b"a=%",
                b"%%%%",
            ]
        ),
    ),
    ctype=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "multipart/form-data",
            "application/json",
            "text/plain; charset=latin-1",
        ]
    ),
)
def test_raw_bodies_never_500(db, session, participant, answer, owner, who, url, body, ctype):
    """Any bytes, any declared content type: what a broken client or a script could send."""
    client = {
        "anon": Client(raise_request_exception=False),
        "student": as_student(participant),
        "owner": owner,
    }[who]
    response = client.generic(
        "POST", url.format(code=session.code, answer=answer.pk), body, content_type=ctype
    )
    assert response.status_code < 500


# --- websocket messages ---

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=15,
)
frames = st.one_of(
    st.text(max_size=100).map(lambda t: ("text", t)),  # ("text" | "bytes", frame)
    json_values.map(lambda v: ("text", json.dumps(v))),
    st.fixed_dictionaries(
        {
            "type": st.one_of(
                st.sampled_from(["step", "resync", "STEP", "", "answer", "vote"]),
                st.text(max_size=8),
                json_values,
            )
        },
        optional={"to": st.one_of(json_values, st.sampled_from(["²", "1_0", " 2 ", "next"]))},
    ).map(lambda m: ("text", json.dumps(m))),
    st.sampled_from(
        [
            ("text", "[" * 5000 + "]" * 5000),
            ("text", '{"type":' * 1000),
            ("text", "x" * 4097),
            ("text", "é" * 4096),
            ("text", '{"type": "resync"' + " " * 5000 + "}"),
            ("text", "\x00"),
            ("text", '{"type": "step", "to": 1e999}'),
            ("text", "NaN"),
        ]
    ),
    st.binary(max_size=200).map(lambda b: ("bytes", b)),
)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ["participant", "board"])
@FUZZ
@given(frame=frames)
@example(frame=("text", "[" * 2048 + "]" * 2048))  # as deep as the size limit lets JSON nest
def test_any_frame_from_a_student_or_board_is_refused_or_ignored(
    session, participant, open_question, role, frame
):
    client = as_student(participant) if role == "participant" else None
    path = f"/ws/s/{session.code}/" if role == "participant" else f"/ws/s/{session.code}/board/"
    before = rows()
    versions = []

    def version():
        return Session.objects.values_list("version", "current_step").get(pk=session.pk)

    async def talk():
        comm = communicator(path, client)
        assert (await comm.connect())[0]
        await receive_until(comm, "snapshot")
        # Connecting is itself a change (who is here); nothing after it may be.
        versions.append(await database_sync_to_async(version)())
        kind, data = frame
        await comm.send_input({"type": "websocket.receive", kind: data})
        reply = await comm.receive_output(timeout=3)
        assert reply["type"] == "websocket.send", reply  # not a close: the socket lives on
        if "snapshot" not in reply.get("text", "")[:40]:
            assert json.loads(reply["text"])["error"]
        # One reply per bad frame; anything else now is live traffic (a classmate's presence).
        while not await comm.receive_nothing(timeout=0.05):
            assert '"error"' not in (await comm.receive_output())["text"][:12]
        await comm.send_json_to({"type": "resync"})
        assert "snapshot" in await receive_until(comm, "snapshot")
        versions.append(await database_sync_to_async(version)())
        await comm.disconnect()

    with override_settings(SEMINAR_PRESENCE_DELAY=0):  # who-is-here is published at once
        async_to_sync(talk)()
    assert rows() == before
    assert versions[0] == versions[1]


@pytest.mark.django_db(transaction=True)
@FUZZ
@given(frame=frames)
@example(frame=("text", '{"type": "step", "to": "²"}'))
@example(frame=("text", "[" * 2048 + "]" * 2048))
def test_any_frame_from_the_facilitator_moves_only_to_a_real_step(
    session, facilitator_client, frame
):
    steps = len(selectors.agenda(session))

    async def talk():
        comm = communicator(f"/ws/facilitate/{session.code}/", facilitator_client)
        assert (await comm.connect())[0]
        await receive_until(comm, "snapshot")
        kind, data = frame
        await comm.send_input({"type": "websocket.receive", kind: data})
        while not await comm.receive_nothing(timeout=0.1):
            output = await comm.receive_output()
            assert output["type"] == "websocket.send", output
        await comm.send_json_to({"type": "resync"})
        assert "snapshot" in await receive_until(comm, "snapshot")
        await comm.disconnect()

    async_to_sync(talk)()
    session.refresh_from_db()
    assert 0 <= session.current_step < steps


def test_a_frame_over_the_servers_limit_closes_only_that_socket(
    db, transactional_db, session, participant
):
    """The server's own limit (64 KiB, manage.py serve): a bigger frame is refused at the
    protocol level; a frame over the consumer's 4096-character limit gets an error; other
    sockets are unaffected."""
    from websockets.exceptions import ConnectionClosed

    from tests.servers import Server
    from tests.test_crash_recovery import snapshot_of, socket_for

    server = Server(log_name="bad-input").start()
    try:
        big = socket_for(server, f"/ws/s/{session.code}/board/", max_size=None)
        other = socket_for(server, f"/ws/s/{session.code}/board/")
        snapshot_of(big), snapshot_of(other)
        big.send("x" * 50_000)
        assert "too large" in json.loads(big.recv(timeout=5))["error"]
        big.send(json.dumps({"type": "resync"}))
        snapshot_of(big)
        big.send("x" * (64 * 1024 + 1))
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                big.recv(timeout=5)
        assert closed.value.rcvd is None or closed.value.rcvd.code in (1009, 1006, 1002)
        other.send(json.dumps({"type": "resync"}))
        snapshot_of(other)
        other.close()
    finally:
        server.stop()


def test_every_answer_of_the_apps_says_it_is_its_own(session, participant, student_client):
    """live.js puts an error's body in the page only when the app made it (Seminar-App): a
    proxy's 502 page never replaces a form (issue 25, defect 4). Refusals of every kind carry
    it: a view's, a middleware's, a 404 and a 405."""
    from seminar.middleware import OWN_HEADER

    responses = [
        student_client.get(f"/s/{session.code}/"),
        student_client.post(
            f"/s/{session.code}/q/9/answer/", {"text": "x"}, HTTP_HX_REQUEST="true"
        ),
        student_client.get("/no/such/page/"),
        student_client.put(f"/s/{session.code}/q/1/answer/"),
        Client().get("/j/NOPE00"),
    ]
    assert {r.status_code for r in responses} >= {200, 404, 405}
    assert all(r.headers.get(OWN_HEADER) == "1" for r in responses), [
        (r.status_code, r.headers.get(OWN_HEADER)) for r in responses
    ]
