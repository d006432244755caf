"""A moderator on a phone (issue 16): the facilitator makes a moderator link, one device claims
it, and from there approves, hides, pins and spotlights answers, and does nothing else; a
revoked link stops at once, its open page included. Moderation never reaches the board."""

import json
import re

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from seminar import audiences, identity, screens, services
from seminar.changes import Change
from seminar.models import Answer, ModeratorLink, Session
from tests.live_clients import closed_with_reason, communicator, receive_until

HTMX = {"HTTP_HX_REQUEST": "true"}


def browser() -> Client:
    return Client(raise_request_exception=False)


def claim(session, facilitator, device: Client | None = None):
    """A new link, claimed by `device` (a fresh browser by default): (link, token, device)."""
    _, token = services.moderator_link_create(session=session, by=facilitator)
    device = device or browser()
    response = device.post(f"/m/{token}")
    assert response.status_code == 302, response.content
    assert response["Location"] == f"/facilitate/{session.code}/moderate/"
    return ModeratorLink.objects.get(token_hash=ModeratorLink.hash_token(token)), token, device


@pytest.fixture
def held(session, facilitator, open_question):
    """Approve-first on, question 1 on the board, Ava's answer waiting, Ben's shown."""
    services.session_update_settings(session=session, by=facilitator, approve_first=False)
    services.step_go(session=session, by=facilitator, to=7)
    ben = services.participant_join(session=session, name="Ben")
    shown, _ = services.answer_post(participant=ben, number=1, text="Shown.", client_token=None)
    services.session_update_settings(session=session, by=facilitator, approve_first=True)
    ava = services.participant_join(session=session, name="Ava")
    waiting, _ = services.answer_post(participant=ava, number=1, text="Wait.", client_token=None)
    assert waiting.pending and not shown.pending
    return {"waiting": waiting, "shown": shown}


def rows():
    return list(
        ModeratorLink.objects.order_by("pk").values_list("claimed_at", "device_key", "revoked_at")
    )


# --- the link -------------------------------------------------------------------------------


def test_the_console_makes_a_link_shown_once_with_a_qr_code(session, owner):
    page = owner.get(f"/facilitate/{session.code}/").content.decode()
    assert "Create moderator link" in page and "No moderator links yet." in page
    response = owner.post(f"/facilitate/{session.code}/moderators/", **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    url = re.search(r'href="(http://testserver/m/[^"]+)"', html).group(1)
    assert 'src="data:image/svg+xml' in html and "Scan this on the moderator's phone" in html
    token = url.rsplit("/", 1)[1]
    assert len(token) >= 32
    link = ModeratorLink.objects.get()
    # Only the hash is kept, and the console's list (a live region) never shows the link.
    assert link.token_hash == ModeratorLink.hash_token(token) and token not in link.token_hash
    page = owner.get(f"/facilitate/{session.code}/").content.decode()
    assert "not used yet" in page and token not in page
    # Without htmx: a page of its own with the same link and QR code.
    response = owner.post(f"/facilitate/{session.code}/moderators/")
    assert response.status_code == 200 and b"Back to the console" in response.content


def test_a_link_works_once_per_device(session, facilitator):
    _, token = services.moderator_link_create(session=session, by=facilitator)
    phone = browser()
    page = phone.get(f"/m/{token}")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"Moderate “{session.display_title}” on this device" in html
    assert 'name="csrfmiddlewaretoken"' in html and 'method="post"' in html
    assert ModeratorLink.objects.get().claimed_at is None  # looking writes nothing
    assert phone.post(f"/m/{token}")["Location"] == f"/facilitate/{session.code}/moderate/"
    assert phone.get(f"/facilitate/{session.code}/moderate/").status_code == 200
    # The same device may come back, by the link or straight to its screen.
    assert phone.get(f"/m/{token}")["Location"] == f"/facilitate/{session.code}/moderate/"
    assert phone.post(f"/m/{token}")["Location"] == f"/facilitate/{session.code}/moderate/"
    before = rows()
    for other in (browser(), browser()):
        for method in ("get", "post"):
            response = getattr(other, method)(f"/m/{token}")
            assert response.status_code == 403
            assert "already in use on another device" in response.content.decode()
            assert "Ask the facilitator for a new one" in response.content.decode()
        assert other.get(f"/facilitate/{session.code}/moderate/").status_code == 302  # sign in
    assert rows() == before


def test_a_copied_cookie_from_before_the_claim_does_not_moderate(session, facilitator):
    """The link keeps the device key the claiming browser got; another browser with the
    same link id in its session but no key moderates nothing."""
    link, _, _ = claim(session, facilitator)
    thief = browser()
    s = thief.session
    s[identity.MODERATING_KEY] = {session.code: link.pk}
    s[identity.DEVICE_KEY] = "guessed"
    s.save()
    assert thief.get(f"/facilitate/{session.code}/moderate/").status_code == 302


def test_unknown_revoked_and_ended_links_are_refused_with_a_message(session, facilitator):
    phone = browser()
    unknown = phone.get("/m/not-a-real-token-at-all")
    assert unknown.status_code == 404 and "does not exist" in unknown.content.decode()
    link, token = services.moderator_link_create(session=session, by=facilitator)
    services.moderator_link_revoke(session=session, by=facilitator, link_id=link.pk)
    before = rows()
    for method in ("get", "post"):
        response = getattr(phone, method)(f"/m/{token}")
        assert response.status_code == 403 and "was revoked" in response.content.decode()
    _, live_token = services.moderator_link_create(session=session, by=facilitator)
    before = rows()
    services.session_end(session=session, by=facilitator)
    ended = phone.post(f"/m/{live_token}")
    assert ended.status_code == 400 and "This session has ended." in ended.content.decode()
    assert rows() == before
    with pytest.raises(services.SessionError) as refused:
        services.moderator_link_create(session=session, by=facilitator)
    assert refused.value.code == "session_ended"


def test_after_the_end_a_claimed_link_moderates_nothing(session, facilitator, owner, held):
    """Issue 25: a moderator's phone could still pin after End session. Its actions are
    refused with the reason, like the facilitator's; nothing is written."""
    _, _, phone = claim(session, facilitator)
    services.session_end(session=session, by=facilitator)
    shown, waiting = held["shown"], held["waiting"]
    before = list(Answer.objects.order_by("pk").values_list("hidden", "pinned", "pending"))
    version = Session.objects.get().version
    base = f"/facilitate/{session.code}"
    actions = [
        f"{base}/answers/{shown.pk}/pin/",
        f"{base}/answers/{shown.pk}/hide/",
        f"{base}/answers/{waiting.pk}/review/",
        f"{base}/q/1/review/",
        f"{base}/answers/{shown.pk}/spotlight/",
        f"{base}/answers/{shown.pk}/discussed/",
    ]
    for url in actions:
        for client in (phone, owner):
            response = client.post(url, {"value": "1"}, **HTMX)
            assert response.status_code == 400, (url, response.status_code)
            assert "This session has ended" in response.content.decode()
    screen = phone.get(f"{base}/moderate/")  # still readable, as the console is
    assert screen.status_code == 200 and "This session has ended." in screen.content.decode()
    assert list(Answer.objects.order_by("pk").values_list("hidden", "pinned", "pending")) == before
    assert Session.objects.get().version == version


def test_guessing_links_is_rate_limited_like_join_codes(session, facilitator, settings):
    settings.SEMINAR_JOIN_RATE = 5
    _, token = services.moderator_link_create(session=session, by=facilitator)
    guesser = Client(REMOTE_ADDR="10.0.0.9")
    assert [guesser.get(f"/m/guess{i}").status_code for i in range(5)] == [404] * 5
    blocked = guesser.get(f"/m/{token}")  # even the right one, now: no oracle
    assert blocked.status_code == 429 and "Please wait a minute" in blocked.content.decode()
    assert guesser.get(f"/j/{session.code}").status_code == 429  # one budget with join codes
    assert ModeratorLink.objects.get().claimed_at is None
    assert Client(REMOTE_ADDR="10.0.0.10").get(f"/m/{token}").status_code == 200


def test_co_facilitators_make_and_revoke_links_moderators_do_not(session, facilitator):
    from django.contrib.auth import get_user_model

    co = get_user_model().objects.create_user("barbara", password="x")
    services.session_share(session=session, by=facilitator, username="barbara")
    cofac = browser()
    cofac.force_login(co)
    assert cofac.post(f"/facilitate/{session.code}/moderators/", **HTMX).status_code == 200
    link = ModeratorLink.objects.get()
    assert link.created_by == co
    url = f"/facilitate/{session.code}/moderators/{link.pk}/revoke/"
    assert cofac.post(url, **HTMX).status_code == 204
    assert ModeratorLink.objects.get().revoked_at is not None
    _, _, phone = claim(session, facilitator)
    assert phone.post(f"/facilitate/{session.code}/moderators/").status_code == 302  # sign in
    assert ModeratorLink.objects.count() == 2


# --- moderating -----------------------------------------------------------------------------


def test_the_moderators_screen_has_the_queue_and_the_answers_and_nothing_else(
    session, facilitator, held
):
    _, _, phone = claim(session, facilitator)
    services.note_save(session=session, by=facilitator, step_key="lobby", text="Secret notes.")
    html = phone.get(f"/facilitate/{session.code}/moderate/").content.decode()
    assert 'ws-connect="/ws/facilitate/' + session.code + '/moderate/"' in html
    for shown in ("Wait.", "Shown.", "Approve all 1", "Waiting for review", "Spotlight", "Pin"):
        assert shown in html
    assert "Mark discussed" in html and ">Approve<" in html and ">Hide<" in html
    for absent in (
        "Next step",
        "Previous step",
        "Open question",
        "Close question",
        "End session",
        "Secret notes.",
        "Who is here",
        "Co-facilitators",
        "Create moderator link",
        "Apply",
        "/export/",
        "/delete/",
        "/settings/",
        "/notes/",
        "/share/",
        "/step/",
    ):
        assert absent not in html, absent


def test_a_moderator_approves_hides_pins_spotlights_and_marks_discussed(session, facilitator, held):
    _, _, phone = claim(session, facilitator)
    waiting, shown = held["waiting"], held["shown"]
    base = f"/facilitate/{session.code}"

    def post(path, **data):
        return phone.post(base + path, data, **HTMX)

    assert post(f"/answers/{waiting.pk}/review/", value="1").status_code == 204
    again = post(f"/answers/{waiting.pk}/review/", value="1")
    assert again.status_code == 409 and "not waiting for review" in again.content.decode()
    assert post(f"/answers/{shown.pk}/pin/", value="1").status_code == 204
    assert post(f"/answers/{waiting.pk}/spotlight/").status_code == 204
    assert Session.objects.get(pk=session.pk).spotlight_id == waiting.pk
    assert post("/spotlight/end/").status_code == 204
    assert post(f"/answers/{shown.pk}/discussed/", value="1").status_code == 204
    assert post(f"/answers/{shown.pk}/hide/", value="1").status_code == 204
    spot = post(f"/answers/{shown.pk}/spotlight/")
    assert spot.status_code == 409 and "Unhide it first" in spot.content.decode()
    shown.refresh_from_db()
    waiting.refresh_from_db()
    assert shown.hidden and shown.pinned and shown.discussed_at is not None
    assert not waiting.pending and not waiting.hidden and waiting.discussed_at is not None
    # Review all, then once more: nothing waits any more, said as such.
    ava2 = services.participant_join(session=session, name="Cy")
    services.answer_post(participant=ava2, number=1, text="Later.", client_token=None)
    assert post("/q/1/review/", value="1").status_code == 204
    twice = post("/q/1/review/", value="1")
    assert twice.status_code == 409 and "No answer to question 1" in twice.content.decode()
    # A plain form (no JavaScript) comes back to the moderator's screen, not the console.
    assert phone.post(base + "/spotlight/end/")["Location"] == f"{base}/moderate/"


def test_a_moderator_cannot_step_end_open_delete_or_read_the_console(session, facilitator, held):
    _, _, phone = claim(session, facilitator)
    base = f"/facilitate/{session.code}"
    before = Session.objects.values_list("current_step", "ended_at", "version").get()
    for path, data in [
        ("/step/", {"to": "next"}),
        ("/end/", {"confirm": "yes"}),
        ("/q/2/open/", {}),
        ("/settings/", {"board_order": "votes"}),
        ("/share/", {"username": "grace"}),
        ("/notes/overview/", {"text": "x"}),
        ("/delete/", {"confirm": "yes"}),
        ("/board/turn/", {"direction": "next"}),
    ]:
        response = phone.post(base + path, data)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    for path in ("/", "/summary/", "/export/json"):
        assert phone.get(base + path)["Location"].startswith("/accounts/login/")
    assert Session.objects.values_list("current_step", "ended_at", "version").get() == before


def test_a_revoked_device_is_refused_with_a_message_and_nothing_changes(session, facilitator, held):
    link, _, phone = claim(session, facilitator)
    services.moderator_link_revoke(session=session, by=facilitator, link_id=link.pk)
    page = phone.get(f"/facilitate/{session.code}/moderate/")
    assert page.status_code == 403 and "was revoked" in page.content.decode()
    url = f"/facilitate/{session.code}/answers/{held['waiting'].pk}/review/"
    response = phone.post(url, {"value": "1"}, **HTMX)
    assert response.status_code == 403 and "was revoked" in response.content.decode()
    assert Answer.objects.get(pk=held["waiting"].pk).pending
    # Revoking twice is harmless; a link of another session is not found.
    services.moderator_link_revoke(session=session, by=facilitator, link_id=link.pk)
    with pytest.raises(services.SessionError) as refused:
        services.moderator_link_revoke(session=session, by=facilitator, link_id=link.pk + 99)
    assert refused.value.code == "not_found"


def test_the_service_checks_the_link_itself(session, facilitator, held, guide):
    link, _, _ = claim(session, facilitator)
    other = services.session_start(facilitator=facilitator, guide=guide)
    with pytest.raises(services.SessionError) as refused:
        services.spotlight_end(session=other, by=link)
    assert refused.value.code == "forbidden"
    unclaimed, _ = services.moderator_link_create(session=session, by=facilitator)
    with pytest.raises(services.SessionError):
        services.answer_set_hidden(
            session=session, by=unclaimed, answer_id=held["shown"].pk, hidden=True
        )
    services.answer_set_hidden(session=session, by=link, answer_id=held["shown"].pk, hidden=True)
    ModeratorLink.objects.filter(pk=link.pk).update(revoked_at=link.claimed_at)
    with pytest.raises(services.SessionError) as revoked:
        services.answer_set_hidden(
            session=session, by=link, answer_id=held["shown"].pk, hidden=False
        )
    assert "was revoked" in revoked.value.message


# --- live -----------------------------------------------------------------------------------

ALLOWED_ROOTS = re.compile(r"answers?-\d+|q-\d+-state|ended|mod-spotlight|mod-review-\d+")


def test_a_moderator_gets_only_moderation_parts_of_any_change(session, facilitator, held):
    """Every kind of change at once: the moderator's parts are answers, question states, the
    end, and its own regions; never notes, people, sharing, settings, agenda or links."""
    everything = Change(
        step=True,
        settings=True,
        presence=True,
        notes=True,
        sharing=True,
        ended=True,
        board_turn=True,
        spotlight=True,
        moderators=True,
        watchers=True,
        questions={held["shown"].question_id},
        counts={held["shown"].question_id},
        answers={held["shown"].pk, held["waiting"].pk},
    )
    st = screens.State.load(session.pk)
    message = screens.message(st, 1, 1, everything)
    mine = [html for audience, html in message["parts"] if audience == audiences.MODERATOR]
    assert mine and message["recheck"] is True
    for html in mine:
        root = re.match(r'\s*<[a-z]+\b[^>]*?\sid="([^"]+)"', html).group(1)
        assert ALLOWED_ROOTS.fullmatch(root), root
    assert f"answer-{held['waiting'].pk}" in "".join(mine)


@pytest.mark.django_db(transaction=True)
async def test_the_moderators_socket_follows_and_closes_when_revoked(session, facilitator):
    def setup():
        services.question_set_open(session=session, by=facilitator, number=1, is_open=True)
        return claim(session, facilitator)

    link, _, phone = await database_sync_to_async(setup)()
    comm = communicator(f"/ws/facilitate/{session.code}/moderate/", phone)
    connected, _ = await comm.connect()
    assert connected
    snapshot = await receive_until(comm, "snapshot")
    assert 'id="answers-1"' in snapshot and 'id="mod-spotlight"' in snapshot
    assert 'id="notes"' not in snapshot and 'id="people"' not in snapshot

    def activity():
        services.participant_join(session=session, name="Ana")
        services.note_save(session=session, by=facilitator, step_key="lobby", text="Private.")
        services.session_share(session=session, by=facilitator, username="ada2", shared=True)

    from django.contrib.auth import get_user_model

    await database_sync_to_async(get_user_model().objects.create_user)("ada2", password="x")
    await database_sync_to_async(activity)()
    ana = await database_sync_to_async(lambda: session.participants.get(name="Ana"))()
    answer, _ = await database_sync_to_async(services.answer_post)(
        participant=ana, number=1, text="Live answer.", client_token=None
    )
    frames = []
    while f'id="answer-{answer.pk}"' not in "".join(frames):
        frames.append(await comm.receive_from(timeout=3))
    assert "Live answer." in frames[-1]
    await database_sync_to_async(services.moderator_link_revoke)(
        session=session, by=facilitator, link_id=link.pk
    )
    seen = await closed_with_reason(comm, "was revoked")
    everything = "".join(frames + seen)
    assert 'id="q-1-state"' in everything  # the counts follow
    for private in ('id="notes"', 'id="people"', 'id="sharing"', 'id="moderators"', "Private."):
        assert private not in everything
    await comm.disconnect()
    # Reconnecting is refused with the reason.
    again = communicator(f"/ws/facilitate/{session.code}/moderate/", phone)
    await again.connect()
    first = await again.receive_output(timeout=3)
    assert "was revoked" in json.loads(first["text"])["error"]
    assert await again.receive_output(timeout=3) == {"type": "websocket.close", "code": 4403}
