"""Who may do what: every URL of seminar/urls.py and guide/urls.py, and every websocket action,
against every kind of visitor. One test per (row, role); the expected status is in the table.

Roles, in the order of each row's expectations:

  anon        no cookie at all
  student     a student of this session (joined with its code; Ana)
  stranger    a student of another session (their cookie names a participant elsewhere)
  other_fac   the facilitator of another session (signed in, not this session's owner)
  owner       this session's facilitator
  staff       an is_staff user who does not own the session

Decisions the table records:
- Students have no account: anything for students is decided by the session cookie. Anyone else
  on a student URL is sent to the name form (room), or refused with 403 (state, posts, votes).
- Facilitator pages send visitors without an account to sign in (302 to /accounts/login/), and
  answer 404 to any signed-in user who does not own the session: we do not say it exists.
- Staff may read a session (summary and exports, for a school's records) but never act on it:
  console, actions, notes and deleting are 404 to them, as to any other facilitator.
- Any signed-in user may start sessions and import guides (every account is a facilitator).
- Refused requests write nothing (the database fingerprint is unchanged).

Also here: CSRF on every state-changing request, foreign origins refused on every socket,
join-code guessing rate-limited, code entropy, ended sessions closed to joiners.
"""

import math
from collections import Counter

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from seminar import codes, identity, services
from seminar.models import Answer, Participant, QuestionState, Session, StepNote, Vote
from tests.live_clients import communicator, receive_until

ROLES = ["anon", "student", "stranger", "other_fac", "owner", "staff"]

LOGIN = "login"  # 302 to /accounts/login/?next=...
ADMIN_LOGIN = "admin-login"  # 302 to /admin/login/?next=...
ROOM = "room"  # 302 to this session's room
JOIN = "join"  # 302 to this session's name form, /j/<CODE>
CONSOLE = "console"  # 302 to this session's console
SESSIONS = "sessions"  # 302 to /facilitate/
ELSEWHERE = "302"  # a redirect somewhere that is not one of the above (e.g. a new session)

L3 = [LOGIN] * 3  # anon, student, stranger: no account

# (method, path, data, expected per role: anon, student, stranger, other_fac, owner, staff)
# {code}: this session's code; {mine}: Ana's answer; {theirs}: Ben's answer; {guide}: guide pk.
ROWS = [
    # --- public pages, joining ---
    ("get", "/", {}, [200] * 6),
    ("post", "/join/", {"code": "{code}"}, [JOIN] * 6),
    ("post", "/join/", {"code": "ZZZZZZ"}, [404] * 6),
    ("get", "/join/", {}, [405] * 6),
    ("get", "/j/{code}", {}, [200, ROOM, 200, 200, 200, 200]),
    ("post", "/j/{code}", {"name": "Newcomer"}, [ROOM] * 6),
    ("get", "/j/ZZZZZZ", {}, [404] * 6),
    # --- the student's room ---
    ("get", "/s/{code}/", {}, [JOIN, 200, JOIN, JOIN, JOIN, JOIN]),
    ("get", "/s/ZZZZZZ/", {}, [404] * 6),
    ("get", "/s/{code}/board/", {}, [200] * 6),
    ("get", "/s/ZZZZZZ/board/", {}, [404] * 6),
    ("get", "/s/{code}/state/", {}, [403, 200, 403, 403, 403, 403]),
    ("post", "/s/{code}/q/2/answer/", {"text": "Mine."}, [403, ROOM, 403, 403, 403, 403]),
    ("get", "/s/{code}/q/2/answer/", {}, [405] * 6),
    (
        "post",
        "/s/{code}/answers/{mine}/edit/",
        {"text": "Better."},
        [403, ROOM, 403, 403, 403, 403],
    ),
    ("post", "/s/{code}/answers/{theirs}/edit/", {"text": "Vandal."}, [403] * 6),
    ("post", "/s/{code}/answers/{mine}/delete/", {}, [403, ROOM, 403, 403, 403, 403]),
    ("post", "/s/{code}/answers/{theirs}/delete/", {}, [403] * 6),
    ("post", "/s/{code}/answers/{theirs}/vote/", {}, [403, ROOM, 403, 403, 403, 403]),
    ("post", "/s/{code}/answers/{mine}/vote/", {}, [403, 400, 403, 403, 403, 403]),  # own answer
    # --- the facilitator's console and actions ---
    ("get", "/facilitate/", {}, [*L3, 200, 200, 200]),
    ("get", "/facilitate/new/", {}, [*L3, 200, 200, 200]),
    (
        "post",
        "/facilitate/new/",
        {"guide": "{guide}", "title": "Mine"},
        [*L3, ELSEWHERE, ELSEWHERE, ELSEWHERE],
    ),
    ("get", "/facilitate/{code}/", {}, [*L3, 404, 200, 404]),
    ("get", "/facilitate/ZZZZZZ/", {}, [*L3, 404, 404, 404]),
    ("post", "/facilitate/{code}/step/", {"to": "next"}, [*L3, 404, CONSOLE, 404]),
    ("get", "/facilitate/{code}/step/", {}, [*L3, 405, 405, 405]),
    ("post", "/facilitate/{code}/q/1/close/", {}, [*L3, 404, CONSOLE, 404]),
    ("post", "/facilitate/{code}/q/3/open/", {}, [*L3, 404, CONSOLE, 404]),
    ("post", "/facilitate/{code}/answers/{theirs}/hide/", {}, [*L3, 404, CONSOLE, 404]),
    ("post", "/facilitate/{code}/answers/{theirs}/pin/", {}, [*L3, 404, CONSOLE, 404]),
    ("post", "/facilitate/{code}/settings/", {"board_order": "votes"}, [*L3, 404, CONSOLE, 404]),
    ("get", "/facilitate/{code}/end/", {}, [*L3, 404, 200, 404]),
    ("post", "/facilitate/{code}/end/", {"confirm": "yes"}, [*L3, 404, CONSOLE, 404]),
    (
        "post",
        "/facilitate/{code}/notes/overview/",
        {"text": "Went well."},
        [*L3, 404, CONSOLE, 404],
    ),
    ("get", "/facilitate/{code}/notes/overview/", {}, [*L3, 405, 405, 405]),
    # --- after the session: summary and downloads (staff may read), deleting (owner only) ---
    ("get", "/facilitate/{code}/summary/", {}, [*L3, 404, 200, 200]),
    ("get", "/facilitate/{code}/export/md", {}, [*L3, 404, 200, 200]),
    ("get", "/facilitate/{code}/export/csv", {}, [*L3, 404, 200, 200]),
    ("get", "/facilitate/{code}/export/json", {}, [*L3, 404, 200, 200]),
    ("get", "/facilitate/{code}/export/html", {}, [*L3, 404, 200, 200]),
    ("get", "/facilitate/{code}/export/pdf", {}, [*L3, 404, 404, 404]),
    ("get", "/facilitate/{code}/export/participants.csv", {}, [*L3, 404, 200, 200]),
    ("get", "/facilitate/{code}/delete/", {}, [*L3, 404, 200, 404]),
    ("post", "/facilitate/{code}/delete/", {"confirm": "yes"}, [*L3, 404, SESSIONS, 404]),
    # --- guides ---
    ("get", "/guides/", {}, [200] * 6),
    ("get", "/guides/small-guide/", {}, [200] * 6),
    ("get", "/guides/no-such-guide/", {}, [404] * 6),
    ("get", "/guides/import/", {}, [*L3, 200, 200, 200]),
    ("post", "/guides/import/", {"text": ""}, [*L3, 400, 400, 400]),
    ("post", "/guides/import/confirm/", {"text": ""}, [*L3, 400, 400, 400]),
    ("get", "/guides/import/confirm/", {}, [405] * 6),
    # --- signing in, admin ---
    ("get", "/accounts/login/", {}, [200] * 6),
    ("post", "/accounts/logout/", {}, [ELSEWHERE] * 6),
    ("get", "/admin/", {}, [ADMIN_LOGIN] * 5 + [200]),
]

CASES = [
    pytest.param(method, path, data, role, expected[i], id=f"{method.upper()} {path} {role}")
    for method, path, data, expected in ROWS
    for i, role in enumerate(ROLES)
]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Three accounts per test: hash their passwords cheaply (the real hasher takes ~1 s)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def room(session, participant, facilitator, other_facilitator, guide):
    """Question 1 (answered by Ana and Ben) and 2 open; a second session with its own student."""
    ben = services.participant_join(session=session, name="Ben")
    for number in (1, 2):
        services.question_set_open(session=session, by=facilitator, number=number, is_open=True)
    mine, _ = services.answer_post(
        participant=participant, number=1, text="Ana's.", client_token=None
    )
    theirs, _ = services.answer_post(participant=ben, number=1, text="Ben's.", client_token=None)
    elsewhere = services.session_start(
        facilitator=other_facilitator, guide=guide, title="Elsewhere"
    )
    zed = services.participant_join(session=elsewhere, name="Zed")
    staff = get_user_model().objects.create_user("hopper", password="x", is_staff=True)
    return {
        "session": session,
        "ana": participant,
        "zed": zed,
        "facilitator": facilitator,
        "other_facilitator": other_facilitator,
        "staff": staff,
        "mine": mine,
        "theirs": theirs,
        "guide": guide,
    }


def client_for(role: str, room: dict, **kwargs) -> Client:
    client = Client(**kwargs)
    if role in ("student", "stranger"):
        django_session = client.session
        identity.remember(django_session, room["ana"] if role == "student" else room["zed"])
        django_session.save()
    elif role != "anon":
        client.force_login(
            {
                "other_fac": room["other_facilitator"],
                "owner": room["facilitator"],
                "staff": room["staff"],
            }[role]
        )
    return client


def fill(template: str, room: dict) -> str:
    return template.format(
        code=room["session"].code,
        mine=room["mine"].pk,
        theirs=room["theirs"].pk,
        guide=room["guide"].pk,
    )


def fingerprint() -> tuple:
    """Everything a refused request must leave alone."""
    return (
        list(
            Session.objects.order_by("pk").values_list(
                "code", "current_step", "ended_at", "board_order", "names_hidden", "version"
            )
        ),
        list(Participant.objects.order_by("pk").values_list("pk", "name")),
        list(Answer.objects.order_by("pk").values_list("pk", "text", "hidden", "pinned")),
        list(Vote.objects.order_by("pk").values_list("answer_id", "participant_id")),
        list(QuestionState.objects.order_by("pk").values_list("pk", "is_open")),
        list(StepNote.objects.order_by("pk").values_list("step_key", "text")),
    )


def outcome(response, code: str) -> int | str:
    """The status, or for a redirect where it goes (in the table's words)."""
    if response.status_code != 302:
        return response.status_code
    location = response["Location"]
    if location.startswith("/accounts/login/"):
        return LOGIN
    if location.startswith("/admin/login/"):
        return ADMIN_LOGIN
    if location.split("#")[0] == f"/s/{code}/":
        return ROOM
    if location == f"/j/{code}":
        return JOIN
    if location == f"/facilitate/{code}/":
        return CONSOLE
    if location == "/facilitate/":
        return SESSIONS
    return ELSEWHERE


@pytest.mark.parametrize("method, path, data, role, expected", CASES)
def test_every_url_for_every_role(room, method, path, data, role, expected):
    client = client_for(role, room)
    before = fingerprint()
    data = {k: fill(v, room) for k, v in data.items()}
    response = getattr(client, method)(fill(path, room), data)
    assert outcome(response, room["session"].code) == expected
    if expected in (LOGIN, ADMIN_LOGIN) or (isinstance(expected, int) and expected >= 400):
        assert fingerprint() == before, "a refused request wrote something"


def test_the_table_covers_every_url_pattern():
    """A new URL must get a row here: compare the table with the URL configuration."""
    from django.urls import get_resolver

    def patterns(resolver, prefix=""):
        for p in resolver.url_patterns:
            if hasattr(p, "url_patterns"):
                yield from patterns(p, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern)

    ours = {p for p in patterns(get_resolver()) if not p.startswith("admin/")}
    from django.urls import resolve

    covered = {
        resolve(path.format(code="ABCDEF", mine=1, theirs=2, guide=1).split("?")[0]).route
        for _, path, _, _ in ROWS
    }
    assert ours - covered == set()


# --- CSRF ---

POST_ROWS = [
    pytest.param(
        path,
        data,
        next(
            role
            for role, e in zip(ROLES, expected, strict=True)
            if e not in (LOGIN, ADMIN_LOGIN) and not (isinstance(e, int) and e >= 400)
        ),
        id=path,
    )
    for method, path, data, expected in ROWS
    if method == "post"
    and any(
        e not in (LOGIN, ADMIN_LOGIN) and not (isinstance(e, int) and e >= 400) for e in expected
    )
]


@pytest.mark.parametrize("path, data, role", POST_ROWS)
def test_every_state_changing_post_needs_a_csrf_token(room, path, data, role):
    """As the one who may make the change, but without the token: 403, nothing written."""
    client = client_for(role, room, enforce_csrf_checks=True)
    before = fingerprint()
    response = client.post(fill(path, room), {k: fill(v, room) for k, v in data.items()})
    assert response.status_code == 403
    assert fingerprint() == before


def test_with_the_token_from_the_page_the_same_post_works(room):
    client = client_for("student", room, enforce_csrf_checks=True)
    page = client.get(f"/s/{room['session'].code}/")
    token = page.context["csrf_token"]
    response = client.post(
        f"/s/{room['session'].code}/q/2/answer/",
        {"text": "With token.", "csrfmiddlewaretoken": str(token)},
    )
    assert response.status_code == 302
    assert Answer.objects.filter(text="With token.").count() == 1


# --- websockets ---

# (endpoint, accepted per role: anon, student, stranger, other_fac, owner, staff)
SOCKETS = [
    ("/ws/s/{code}/", [False, True, False, False, False, False]),
    ("/ws/s/{code}/board/", [True] * 6),
    ("/ws/facilitate/{code}/", [False, False, False, False, True, False]),
    ("/ws/s/ZZZZZZ/", [False] * 6),
    ("/ws/s/ZZZZZZ/board/", [False] * 6),
    ("/ws/facilitate/ZZZZZZ/", [False] * 6),
]
SOCKET_CASES = [
    pytest.param(path, role, accepted[i], id=f"{path} {role}")
    for path, accepted in SOCKETS
    for i, role in enumerate(ROLES)
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path, role, accepted", SOCKET_CASES)
async def test_every_socket_and_action_for_every_role(room, path, role, accepted):
    """Connect; then try to act over the socket: a socket only listens (every action is a form,
    checked by the matrix above), so a step message gets an error and nothing changes; a
    resync answers with a snapshot."""
    client = await database_sync_to_async(client_for)(role, room)
    comm = communicator(fill(path, room), client)
    connected, close_code = await comm.connect()
    assert connected is accepted
    if not connected:
        assert close_code in (4403, 1000, None)
        return
    await receive_until(comm, "snapshot")
    session = room["session"]
    await comm.send_json_to({"type": "step", "to": 3})
    reply = await receive_until(comm, '"error"')
    assert "Unknown message type" in reply
    await database_sync_to_async(session.refresh_from_db)()
    assert session.current_step == 0
    await comm.send_json_to({"type": "resync"})
    assert "snapshot" in await receive_until(comm, "snapshot")
    await comm.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/ws/s/{code}/", "/ws/s/{code}/board/", "/ws/facilitate/{code}/"])
@pytest.mark.parametrize(
    "origin",
    [(b"origin", b"http://evil.example"), None, (b"origin", b"http://127.0.0.1.evil.example")],
)
async def test_sockets_from_a_foreign_or_missing_origin_are_refused(room, path, origin):
    """Even with the right cookie (the owner's and the student's both ride along)."""
    role = "owner" if "facilitate" in path else "student"
    client = await database_sync_to_async(client_for)(role, room)
    comm = communicator(fill(path, room), client, origin=origin)
    connected, _ = await comm.connect()
    assert not connected


# --- guessing join codes ---


@override_settings(SEMINAR_JOIN_RATE=20)
def test_join_attempts_are_limited_per_client_and_the_window_resets(db, monkeypatch):
    """20 codes a minute from one address, counted across the home form and the QR link;
    a 21st is 429 with a message; another address is not affected; next minute it is allowed."""
    import time as real_time

    from seminar import ratelimit

    now = [1_000_020.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    client = Client(REMOTE_ADDR="10.0.0.7")
    statuses = []
    for i in range(20):
        guess = codes.new_code()
        response = client.post("/join/", {"code": guess}) if i % 2 else client.get(f"/j/{guess}")
        statuses.append(response.status_code)
    assert statuses == [404] * 20
    blocked = client.post("/join/", {"code": codes.new_code()})
    assert blocked.status_code == 429
    assert "Too many join attempts" in blocked.content.decode()
    assert client.get(f"/j/{codes.new_code()}").status_code == 429
    assert Client(REMOTE_ADDR="10.0.0.8").post("/join/", {"code": "ABCDEF"}).status_code == 404
    now[0] += 60
    assert client.post("/join/", {"code": codes.new_code()}).status_code == 404
    assert real_time  # the real clock was never needed


def test_codes_are_random_with_31_to_the_6_possibilities():
    """~8.9e8 codes: at 20 guesses a minute against 100 live sessions, one hit takes ~300 days."""
    assert len(set(codes.ALPHABET)) == 31 and codes.LENGTH == 6
    assert math.log2(31**6) > 29.7
    draws = [codes.new_code() for _ in range(6200)]
    counts = Counter(c for code in draws for c in code)
    expected = 6 * 6200 / 31
    chi2 = sum((counts[c] - expected) ** 2 / expected for c in codes.ALPHABET)
    assert set(counts) == set(codes.ALPHABET)
    assert chi2 < 80  # 30 degrees of freedom: p < 1e-6 for a fair source to exceed this
    assert len(set(draws)) == len(draws)


def test_codes_come_from_the_operating_systems_random_source(monkeypatch):
    import secrets

    calls = []
    monkeypatch.setattr(secrets, "choice", lambda seq: calls.append(seq) or seq[0])
    assert codes.new_code() == "AAAAAA" and len(calls) == 6


def test_an_ended_session_cannot_be_joined_by_any_path(client, session, facilitator):
    services.session_end(session=session, by=facilitator)
    before = Participant.objects.count()
    assert client.post("/join/", {"code": session.code.lower()}).status_code == 410
    assert client.get(f"/j/{session.code}").status_code == 410
    assert client.post(f"/j/{session.code}", {"name": "Late"}).status_code == 410
    assert Participant.objects.count() == before
