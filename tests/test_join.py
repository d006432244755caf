"""Students join with a code, a QR link and a name; no account."""

import pytest
from django.test import override_settings

from seminar import codes, services
from seminar.models import Participant


def test_home_has_the_join_form(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert 'for="id_code">Join code</label>' in response.content.decode()


def test_typed_code_any_case_leads_to_the_name_form(client, session):
    response = client.post("/join/", {"code": f" {session.code.lower()} "})
    assert response.status_code == 302
    assert response["Location"] == f"/j/{session.code}"


def test_unknown_code_is_a_404_with_a_message_and_the_form_kept(client, db):
    response = client.post("/join/", {"code": "ABCDEF"})
    assert response.status_code == 404
    html = response.content.decode()
    assert "No session has the code ABCDEF" in html
    assert 'value="ABCDEF"' in html


def test_qr_link_with_unknown_code_is_a_404(client, db):
    response = client.get("/j/ZZZZZZ")
    assert response.status_code == 404
    assert "No session has the code ZZZZZZ" in response.content.decode()


def test_join_by_link_creates_one_participant_and_enters_the_room(client, session):
    response = client.get(f"/j/{session.code}")
    assert response.status_code == 200
    assert "Your name" in response.content.decode()
    response = client.post(f"/j/{session.code}", {"name": "  Ana   Lovelace "})
    assert response.status_code == 302
    assert response["Location"] == f"/s/{session.code}/"
    assert list(session.participants.values_list("name", flat=True)) == ["Ana Lovelace"]
    room = client.get(f"/s/{session.code}/")
    assert room.status_code == 200
    assert "Ana Lovelace" in room.content.decode()


def test_rejoining_from_the_same_browser_is_the_same_participant(client, session):
    client.post(f"/j/{session.code}", {"name": "Ana"})
    # Reload, closed tab, QR scanned again: straight back in, nobody new.
    response = client.get(f"/j/{session.code}")
    assert response.status_code == 302
    assert client.get(f"/s/{session.code}/").status_code == 200
    assert Participant.objects.filter(session=session).count() == 1


def test_a_taken_name_gets_a_clear_message_and_a_one_click_choice(client, session):
    services.participant_join(session=session, name="Ana")
    response = client.post(f"/j/{session.code}", {"name": "ana"})
    page = response.content.decode()
    assert response.status_code == 409
    assert "Someone here is already called “Ana”" in page
    assert "Join as “ana (2)”" in page and 'name="name" value="ana (2)"' in page
    assert list(session.participants.values_list("name", flat=True)) == ["Ana"]
    response = client.post(f"/j/{session.code}", {"name": "ana (2)"})
    assert response.status_code == 302
    assert sorted(session.participants.values_list("name", flat=True)) == ["Ana", "ana (2)"]


@pytest.mark.parametrize(
    "name, message",
    [
        ("", "Please type your name."),
        ("   ", "Please type your name."),
        ("x" * 41, "at most 40 characters"),
        ("Ana\x07", "cannot be shown"),
        ("Ana\u202e", "cannot be shown"),
    ],
)
def test_bad_names_get_a_clear_message_and_nothing_is_created(client, session, name, message):
    response = client.post(f"/j/{session.code}", {"name": name})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not session.participants.exists()


def test_forty_characters_after_trimming_is_fine(client, session):
    response = client.post(f"/j/{session.code}", {"name": "  " + "é" * 40 + "  "})
    assert response.status_code == 302


def test_ended_session_cannot_be_joined(client, session, facilitator):
    services.session_end(session=session, by=facilitator)
    response = client.post("/join/", {"code": session.code})
    assert response.status_code == 410
    assert "This session has ended." in response.content.decode()
    response = client.post(f"/j/{session.code}", {"name": "Ana"})
    assert response.status_code == 410
    assert not session.participants.exists()


def test_room_without_joining_sends_you_to_the_name_form(client, session):
    response = client.get(f"/s/{session.code}/")
    assert response.status_code == 302
    assert response["Location"] == f"/j/{session.code}"


@override_settings(SEMINAR_JOIN_RATE=5)
def test_guessing_codes_at_speed_is_rate_limited(client, db):
    from django.core.cache import cache

    cache.clear()
    statuses = [client.post("/join/", {"code": codes.new_code()}).status_code for _ in range(7)]
    assert statuses[:5] == [404] * 5
    assert statuses[5:] == [429, 429]
    response = client.post("/join/", {"code": "ABCDEF"})
    assert "Too many join attempts" in response.content.decode()


def test_codes_avoid_look_alikes_and_are_unique():
    drawn = {codes.new_code() for _ in range(2000)}
    assert len(drawn) == 2000
    assert all(len(c) == 6 and not set(c) & set("0O1IL") for c in drawn)
