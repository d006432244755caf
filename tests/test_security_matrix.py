"""Who may do what: every URL of seminar/urls.py and guide/urls.py, and every websocket action,
against every kind of visitor. One test per (row, role); the expected status is in the table.

Roles, in the order of each row's expectations:

  anon        no cookie at all
  student     a student of this session (joined with its code; Ana)
  stranger    a student of another session (their cookie names a participant elsewhere)
  other_fac   the facilitator of another session, made as `make run` makes one (staff, with
              the guide permissions)
  owner       this session's facilitator, made the same way
  staff       a plain is_staff user
  superuser   a superuser
  cofac       a facilitator (made as `make run` does) the owner shared this session with
  moderator   a browser with no account that claimed one of this session's moderator links
  revoked     a browser with no account whose claimed moderator link was then revoked

Decisions the table records:
- Students have no account: anything for students is decided by the session cookie. Anyone else
  on a student URL is sent to the name form (room), or refused with 403 (state, posts, votes).
- Facilitator pages send visitors without an account to sign in (302 to /accounts/login/), and
  answer 404 to any signed-in user who does not facilitate the session: we do not say it
  exists. Staff and superusers are no exception (every teacher is staff, to fix guides in the
  admin); a superuser reaches sessions through the Django admin only.
- A co-facilitator runs and reads the session as its owner does; sharing it further and
  deleting it are the owner's alone (403 to them).
- A moderator (by link) may moderate answers (approve, hide, pin, spotlight, discussed) and
  open its own screen and socket; everywhere else it is nobody, exactly like a visitor with no
  account. A revoked moderator is refused with a 403 that says so where a moderator was let in.
- Any signed-in user may start sessions and import guides (every account is a facilitator).
- A guide version a session used is read-only in the admin, for everyone.
- Refused requests write nothing (the database fingerprint is unchanged).

Also here: CSRF on every state-changing request, foreign origins refused on every socket,
join-code guessing rate-limited, code entropy, ended sessions closed to joiners.
"""

import json
import math
from collections import Counter

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from guide.models import Question
from seminar import codes, identity, services
from seminar.models import (
    Answer,
    ModeratorLink,
    Participant,
    QuestionState,
    Session,
    StepNote,
    Vote,
)
from tests.live_clients import communicator, receive_until

ROLES = [
    "anon",
    "student",
    "stranger",
    "other_fac",
    "owner",
    "staff",
    "superuser",
    "cofac",
    "moderator",
    "revoked",
]

LOGIN = "login"  # 302 to /accounts/login/?next=...
ADMIN_LOGIN = "admin-login"  # 302 to /admin/login/?next=...
ROOM = "room"  # 302 to this session's room
JOIN = "join"  # 302 to this session's name form, /j/<CODE>
CONSOLE = "console"  # 302 to this session's console
SESSIONS = "sessions"  # 302 to /facilitate/
MODERATE = "moderate"  # 302 to this session's moderator screen
ELSEWHERE = "302"  # a redirect somewhere that is not one of the above (e.g. a new session)

L3 = [LOGIN] * 3  # anon, student, stranger: no account


def everyone(expected):
    return [expected] * len(ROLES)


def students(anon, student, stranger, signed_in):
    """A student URL: the five signed-in roles are nobody special there, and moderators (no
    account, no participant) are visitors."""
    return [anon, student, stranger, *[signed_in] * 5, anon, anon]


def facilitators(others, owner, cofac=None, moderator=LOGIN, revoked=LOGIN):
    """A facilitator URL: sign in first; then the owner and the co-facilitator (as the owner,
    unless told) get `owner`; another facilitator, a plain staff user and a superuser get
    `others` (the admin is the superuser's way in, not the app). Moderators have no account:
    they sign in first too, unless told."""
    return [
        *L3,
        others,
        owner,
        others,
        others,
        owner if cofac is None else cofac,
        moderator,
        revoked,
    ]


def moderation(owner, moderator=MODERATE):
    """A moderation URL: as a facilitator URL, and a moderator by link may (`moderator`), a
    revoked one is told (403)."""
    return facilitators(404, owner, moderator=moderator, revoked=403)


# (method, path, data, expected per role, in ROLES order)
# {code}: this session's code; {mine}: Ana's answer; {theirs}: Ben's answer; {guide}: guide pk;
# {question}: a question of the guide this session used; {link}: the moderator's claimed link,
# {fresh}/{fresh_id}: a link nobody claimed yet, {gone}: a revoked one (claimed by "revoked").
ROWS = [
    # --- public pages, joining ---
    ("get", "/", {}, everyone(200)),
    ("post", "/join/", {"code": "{code}"}, everyone(JOIN)),
    ("post", "/join/", {"code": "ZZZZZZ"}, everyone(404)),
    ("get", "/join/", {}, everyone(405)),
    ("get", "/j/{code}", {}, students(200, ROOM, 200, 200)),
    ("post", "/j/{code}", {"name": "Newcomer"}, everyone(ROOM)),
    ("get", "/j/ZZZZZZ", {}, everyone(404)),
    # --- the student's room ---
    ("get", "/s/{code}/", {}, students(JOIN, 200, JOIN, JOIN)),
    ("get", "/s/ZZZZZZ/", {}, everyone(404)),
    ("get", "/s/{code}/board/", {}, everyone(200)),
    ("get", "/s/ZZZZZZ/board/", {}, everyone(404)),
    ("get", "/s/{code}/state/", {}, students(403, 200, 403, 403)),
    ("post", "/s/{code}/q/2/answer/", {"text": "Mine."}, students(403, ROOM, 403, 403)),
    ("get", "/s/{code}/q/2/answer/", {}, everyone(405)),
    ("post", "/s/{code}/answers/{mine}/edit/", {"text": "Better."}, students(403, ROOM, 403, 403)),
    ("post", "/s/{code}/answers/{theirs}/edit/", {"text": "Vandal."}, everyone(403)),
    ("post", "/s/{code}/answers/{mine}/delete/", {}, students(403, ROOM, 403, 403)),
    ("post", "/s/{code}/answers/{theirs}/delete/", {}, everyone(403)),
    ("post", "/s/{code}/answers/{theirs}/vote/", {}, students(403, ROOM, 403, 403)),
    ("post", "/s/{code}/answers/{mine}/vote/", {}, students(403, 400, 403, 403)),  # own answer
    (
        "post",
        "/s/{code}/answers/{theirs}/reply/",
        {"move": "build", "text": "Building on this."},
        students(403, ROOM, 403, 403),
    ),
    (
        "post",
        "/s/{code}/answers/{mine}/reply/",
        {"move": "build", "text": "Me again."},
        students(403, 400, 403, 403),  # own answer: edit it instead
    ),
    # The reply form a Reply fold fetches (and its page without JavaScript).
    ("get", "/s/{code}/answers/{theirs}/reply/", {}, students(403, 200, 403, 403)),
    ("get", "/s/{code}/answers/{mine}/reply/", {}, students(403, 400, 403, 403)),
    # --- the facilitator's console and actions ---
    ("get", "/facilitate/", {}, facilitators(200, 200)),
    ("get", "/facilitate/new/", {}, facilitators(200, 200)),
    (
        "post",
        "/facilitate/new/",
        {"guide": "{guide}", "title": "Mine"},
        facilitators(ELSEWHERE, ELSEWHERE),
    ),
    ("get", "/facilitate/{code}/", {}, facilitators(404, 200)),
    ("get", "/facilitate/ZZZZZZ/", {}, facilitators(404, 404)),
    ("post", "/facilitate/{code}/step/", {"to": "next"}, facilitators(404, CONSOLE)),
    ("get", "/facilitate/{code}/step/", {}, facilitators(405, 405)),
    ("post", "/facilitate/{code}/q/1/close/", {}, facilitators(404, CONSOLE)),
    ("post", "/facilitate/{code}/q/3/open/", {}, facilitators(404, CONSOLE)),
    ("post", "/facilitate/{code}/answers/{theirs}/hide/", {}, moderation(CONSOLE)),
    ("post", "/facilitate/{code}/answers/{theirs}/pin/", {}, moderation(CONSOLE)),
    ("post", "/facilitate/{code}/settings/", {"board_order": "votes"}, facilitators(404, CONSOLE)),
    ("post", "/facilitate/{code}/board/turn/", {"direction": "next"}, facilitators(404, CONSOLE)),
    # Rounds: the facilitators' alone (a moderator does not run the class).
    ("post", "/facilitate/{code}/q/2/round/", {"phase": "think"}, facilitators(404, CONSOLE)),
    ("post", "/facilitate/{code}/q/2/round/timer/", {"action": "end"}, facilitators(404, CONSOLE)),
    ("post", "/facilitate/{code}/q/2/round/seats/", {"size": "2"}, facilitators(404, CONSOLE)),
    ("post", "/facilitate/{code}/q/2/round/tables/", {"count": "3"}, facilitators(404, CONSOLE)),
    ("get", "/facilitate/{code}/q/2/round/", {}, facilitators(405, 405)),
    # Choosing a table: students of the session only, once the facilitator lets them.
    ("post", "/s/{code}/q/2/table/", {"table": "1"}, students(403, 403, 403, 403)),
    ("get", "/s/{code}/q/2/table/", {}, everyone(405)),
    ("post", "/facilitate/{code}/answers/{theirs}/spotlight/", {}, moderation(CONSOLE)),
    ("post", "/facilitate/{code}/answers/{theirs}/discussed/", {}, moderation(CONSOLE)),
    ("post", "/facilitate/{code}/spotlight/end/", {}, moderation(CONSOLE)),
    ("post", "/facilitate/{code}/answers/{theirs}/review/", {}, moderation(CONSOLE)),
    ("post", "/facilitate/{code}/q/1/review/", {"value": "1"}, moderation(CONSOLE)),
    ("get", "/facilitate/{code}/q/1/review/", {}, facilitators(405, 405, None, 405, 405)),
    ("get", "/facilitate/{code}/spotlight/end/", {}, facilitators(405, 405, None, 405, 405)),
    ("get", "/facilitate/{code}/board/turn/", {}, facilitators(405, 405)),
    # How the board shows a question (answers or word cloud): facilitators only, like steps.
    ("post", "/facilitate/{code}/q/1/board-view/", {"view": "cloud"}, facilitators(404, CONSOLE)),
    ("get", "/facilitate/{code}/q/1/board-view/", {}, facilitators(405, 405)),
    # --- moderators: the link a phone claims, the moderator's screen, making and revoking ---
    ("get", "/facilitate/{code}/moderate/", {}, moderation(200, moderator=200)),
    ("post", "/facilitate/{code}/moderate/", {}, facilitators(405, 405, None, 405, 405)),
    ("get", "/facilitate/ZZZZZZ/moderate/", {}, facilitators(404, 404)),
    ("post", "/facilitate/{code}/moderators/", {}, facilitators(404, 200)),
    ("get", "/facilitate/{code}/moderators/", {}, facilitators(405, 405)),
    ("post", "/facilitate/{code}/moderators/{fresh_id}/revoke/", {}, facilitators(404, CONSOLE)),
    ("get", "/m/{fresh}", {}, everyone(200)),
    ("post", "/m/{fresh}", {}, everyone(MODERATE)),
    # Claimed: its own device goes on to moderate, every other is told it is in use.
    ("get", "/m/{link}", {}, [*[403] * 8, MODERATE, 403]),
    ("post", "/m/{link}", {}, [*[403] * 8, MODERATE, 403]),
    ("get", "/m/{gone}", {}, everyone(403)),
    ("post", "/m/{gone}", {}, everyone(403)),
    ("get", "/m/no-such-link", {}, everyone(404)),
    ("put", "/m/{fresh}", {}, everyone(405)),
    # Sharing further is the owner's alone.
    ("post", "/facilitate/{code}/share/", {"username": "hopper"}, facilitators(404, CONSOLE, 403)),
    ("get", "/facilitate/{code}/share/", {}, facilitators(405, 405)),
    ("get", "/facilitate/{code}/end/", {}, facilitators(404, 200)),
    ("post", "/facilitate/{code}/end/", {"confirm": "yes"}, facilitators(404, CONSOLE)),
    (
        "post",
        "/facilitate/{code}/notes/overview/",
        {"text": "Went well."},
        facilitators(404, CONSOLE),
    ),
    ("get", "/facilitate/{code}/notes/overview/", {}, facilitators(405, 405)),
    # --- after the session: summary and downloads, deleting (the owner's alone) ---
    ("get", "/facilitate/{code}/summary/", {}, facilitators(404, 200)),
    ("get", "/facilitate/{code}/export/md", {}, facilitators(404, 200)),
    ("get", "/facilitate/{code}/export/csv", {}, facilitators(404, 200)),
    ("get", "/facilitate/{code}/export/json", {}, facilitators(404, 200)),
    ("get", "/facilitate/{code}/export/html", {}, facilitators(404, 200)),
    ("get", "/facilitate/{code}/export/pdf", {}, facilitators(404, 404)),
    ("get", "/facilitate/{code}/export/participants.csv", {}, facilitators(404, 200)),
    ("get", "/facilitate/{code}/delete/", {}, facilitators(404, 200, 403)),
    ("post", "/facilitate/{code}/delete/", {"confirm": "yes"}, facilitators(404, SESSIONS, 403)),
    # --- guides ---
    ("get", "/guides/", {}, everyone(200)),
    ("get", "/guides/small-guide/", {}, everyone(200)),
    ("get", "/guides/no-such-guide/", {}, everyone(404)),
    ("get", "/guides/import/", {}, facilitators(200, 200)),
    ("post", "/guides/import/", {"text": ""}, facilitators(400, 400)),
    ("post", "/guides/import/confirm/", {"text": ""}, facilitators(400, 400)),
    ("get", "/guides/import/confirm/", {}, everyone(405)),
    # --- signing in, admin: facilitators made by `make run` are staff (to fix guides) ---
    ("get", "/accounts/login/", {}, everyone(200)),
    ("post", "/accounts/logout/", {}, everyone(ELSEWHERE)),
    ("get", "/admin/", {}, [*[ADMIN_LOGIN] * 3, 200, 200, 200, 200, 200, *[ADMIN_LOGIN] * 2]),
    # A guide a session used is read-only in the admin, for everyone (past sessions keep it).
    (
        "get",
        "/admin/guide/question/{question}/change/",
        {},
        [*[ADMIN_LOGIN] * 3, 200, 200, 403, 200, 200, *[ADMIN_LOGIN] * 2],
    ),
    (
        "post",
        "/admin/guide/question/{question}/change/",
        {"guide": "{guide}", "number": "1", "text": "Rewritten"},
        [*[ADMIN_LOGIN] * 3, 403, 403, 403, 403, 403, *[ADMIN_LOGIN] * 2],
    ),
    (
        "post",
        "/admin/guide/question/{question}/delete/",
        {"post": "yes"},
        [*[ADMIN_LOGIN] * 3, 403, 403, 403, 403, 403, *[ADMIN_LOGIN] * 2],
    ),
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


def make_run_facilitator(username: str):
    """A facilitator account exactly as `make run` makes one (manage.py ensure_facilitator)."""
    from io import StringIO

    from django.core.management import call_command

    call_command("ensure_facilitator", username=username, stdout=StringIO())
    return get_user_model().objects.get(username=username)


@pytest.fixture
def room(guide):
    """Question 1 (answered by Ana and Ben) and 2 open; a second session with its own student;
    facilitators made as `make run` makes them, one of them sharing this session."""
    User = get_user_model()
    owner = make_run_facilitator("ada")
    other = make_run_facilitator("grace")
    cofac = make_run_facilitator("barbara")
    session = services.session_start(facilitator=owner, guide=guide, title="Tuesday seminar")
    services.session_share(session=session, by=owner, username="barbara")
    participant = services.participant_join(session=session, name="Ana")
    ben = services.participant_join(session=session, name="Ben")
    for number in (1, 2):
        services.question_set_open(session=session, by=owner, number=number, is_open=True)
    mine, _ = services.answer_post(
        participant=participant, number=1, text="Ana's.", client_token=None
    )
    theirs, _ = services.answer_post(participant=ben, number=1, text="Ben's.", client_token=None)
    elsewhere = services.session_start(facilitator=other, guide=guide, title="Elsewhere")
    zed = services.participant_join(session=elsewhere, name="Zed")
    staff = User.objects.create_user("hopper", password="x", is_staff=True)
    superuser = User.objects.create_superuser("root", password="x")
    links = {}
    for name in ("link", "gone", "fresh"):
        link, token = services.moderator_link_create(session=session, by=owner)
        if name != "fresh":
            link = services.moderator_link_claim(link=link, device_key=f"device-{name}")
        links[name], links[f"{name}_token"] = link, token
    services.moderator_link_revoke(session=session, by=owner, link_id=links["gone"].pk)
    return {
        **links,
        "session": session,
        "ana": participant,
        "zed": zed,
        "facilitator": owner,
        "other_facilitator": other,
        "staff": staff,
        "superuser": superuser,
        "cofac": cofac,
        "mine": mine,
        "theirs": theirs,
        "guide": guide,
        "question": guide.questions.get(number=1),
    }


def client_for(role: str, room: dict, **kwargs) -> Client:
    client = Client(**kwargs)
    if role in ("student", "stranger"):
        django_session = client.session
        identity.remember(django_session, room["ana"] if role == "student" else room["zed"])
        django_session.save()
    elif role in ("moderator", "revoked"):
        link = room["link" if role == "moderator" else "gone"]
        django_session = client.session
        identity.remember_moderator(django_session, link, link.device_key)
        django_session.save()
    elif role != "anon":
        client.force_login(
            {
                "other_fac": room["other_facilitator"],
                "owner": room["facilitator"],
                "staff": room["staff"],
                "superuser": room["superuser"],
                "cofac": room["cofac"],
            }[role]
        )
    return client


def fill(template: str, room: dict) -> str:
    return template.format(
        code=room["session"].code,
        mine=room["mine"].pk,
        theirs=room["theirs"].pk,
        guide=room["guide"].pk,
        question=room["question"].pk,
        link=room["link_token"],
        fresh=room["fresh_token"],
        fresh_id=room["fresh"].pk,
        gone=room["gone_token"],
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
        list(
            Answer.objects.order_by("pk").values_list(
                "pk", "text", "hidden", "pinned", "pending", "discussed_at"
            )
        ),
        list(Session.objects.order_by("pk").values_list("spotlight_id", "approve_first")),
        list(
            ModeratorLink.objects.order_by("pk").values_list(
                "pk", "claimed_at", "device_key", "revoked_at"
            )
        ),
        list(Vote.objects.order_by("pk").values_list("answer_id", "participant_id")),
        list(QuestionState.objects.order_by("pk").values_list("pk", "is_open", "board_view")),
        list(StepNote.objects.order_by("pk").values_list("step_key", "text")),
        list(Question.objects.order_by("pk").values_list("pk", "text")),
        sorted(Session.co_facilitators.through.objects.values_list("session_id", "user_id")),
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
    if location == f"/facilitate/{code}/moderate/":
        return MODERATE
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
        resolve(
            path.format(
                code="ABCDEF",
                mine=1,
                theirs=2,
                guide=1,
                question=1,
                link="a",
                fresh="b",
                fresh_id=3,
                gone="c",
            )
        ).route
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

# (endpoint, accepted per role, in ROLES order). A refused socket is told why, then closed
# with 4403, so the page can say "Not allowed" instead of reconnecting in silence.
SOCKETS = [
    ("/ws/s/{code}/", students(False, True, False, False)),
    ("/ws/s/{code}/board/", everyone(True)),
    ("/ws/facilitate/{code}/", facilitators(False, True)),
    ("/ws/facilitate/{code}/moderate/", facilitators(False, True, None, True, False)),
    ("/ws/facilitate/ZZZZZZ/moderate/", everyone(False)),
    ("/ws/s/ZZZZZZ/", everyone(False)),
    ("/ws/s/ZZZZZZ/board/", everyone(False)),
    ("/ws/facilitate/ZZZZZZ/", everyone(False)),
]
SOCKET_CASES = [
    pytest.param(path, role, accepted[i] is True, id=f"{path} {role}")
    for path, accepted in SOCKETS
    for i, role in enumerate(ROLES)
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path, role, accepted", SOCKET_CASES)
async def test_every_socket_and_action_for_every_role(room, path, role, accepted):
    """Connect; a refused socket gets its reason and a 4403 close. An accepted one only
    listens (every action is a form, checked by the matrix above): a step message gets an
    error and nothing changes; a resync answers with a snapshot."""
    client = await database_sync_to_async(client_for)(role, room)
    comm = communicator(fill(path, room), client)
    connected, _ = await comm.connect()
    assert connected
    first = await comm.receive_output(timeout=3)
    if not accepted:
        assert json.loads(first["text"])["error"]
        closed = await comm.receive_output(timeout=3)
        assert closed == {"type": "websocket.close", "code": 4403}
        return
    assert "snapshot" in first["text"][:40]
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
@pytest.mark.parametrize(
    "path",
    [
        "/ws/s/{code}/",
        "/ws/s/{code}/board/",
        "/ws/facilitate/{code}/",
        "/ws/facilitate/{code}/moderate/",
    ],
)
@pytest.mark.parametrize(
    "origin",
    [(b"origin", b"http://evil.example"), None, (b"origin", b"http://127.0.0.1.evil.example")],
)
async def test_sockets_from_a_foreign_or_missing_origin_are_refused(room, path, origin):
    """Even with the right cookie (the owner's and the student's both ride along)."""
    role = "moderator" if "moderate" in path else "owner" if "facilitate" in path else "student"
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
