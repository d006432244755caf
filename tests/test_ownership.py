"""Each class belongs to its teacher (and whoever they share it with), past guides stay as they
were used, look-alike names are taken, no URL or socket tells a live code from an unknown one,
and forwarded headers are believed only behind a named proxy."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from guide.models import Question
from seminar import selectors, services
from seminar.errors import SessionError

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def grace(db):
    return get_user_model().objects.create_user("grace", password="x", is_staff=True)


def test_sharing_by_username_lets_a_co_facilitator_run_and_read_the_session(
    session, facilitator, grace, broadcasts
):
    owner = Client()
    owner.force_login(facilitator)
    response = owner.post(f"/facilitate/{session.code}/share/", {"username": "grace"}, **HTMX)
    assert response.status_code == 204
    assert 'id="sharing"' in broadcasts.html_to("facilitator")
    assert "grace" in broadcasts.html_to("facilitator")

    co = Client()
    co.force_login(grace)
    assert session.code in co.get("/facilitate/").content.decode()
    assert co.get(f"/facilitate/{session.code}/").status_code == 200
    assert co.post(f"/facilitate/{session.code}/step/", {"to": "next"}).status_code == 302
    assert co.get(f"/facilitate/{session.code}/export/json").status_code == 200
    # Sharing further and deleting stay the owner's.
    assert co.post(f"/facilitate/{session.code}/share/", {"username": "ada"}).status_code == 403
    assert co.post(f"/facilitate/{session.code}/delete/", {"confirm": "yes"}).status_code == 403

    owner.post(f"/facilitate/{session.code}/share/", {"username": "grace", "remove": "1"})
    assert co.get(f"/facilitate/{session.code}/").status_code == 404


def test_sharing_with_someone_unknown_says_so_and_shares_nothing(session, facilitator):
    owner = Client()
    owner.force_login(facilitator)
    response = owner.post(f"/facilitate/{session.code}/share/", {"username": "nobody"}, **HTMX)
    assert response.status_code == 400
    assert "There is no account named “nobody”" in response.content.decode()
    assert not session.co_facilitators.exists()
    with pytest.raises(SessionError) as error:
        services.session_share(session=session, by=facilitator, username="ada")
    assert error.value.code == "invalid_user"


def test_a_guide_a_session_used_cannot_be_rewritten_in_the_admin(session, facilitator, guide):
    facilitator.is_superuser = facilitator.is_staff = True
    facilitator.save()
    admin = Client()
    admin.force_login(facilitator)
    question = guide.questions.get(number=1)
    url = f"/admin/guide/question/{question.pk}/change/"
    page = admin.get(url)
    assert page.status_code == 200 and b'name="text"' not in page.content  # read-only
    response = admin.post(url, {"guide": guide.pk, "number": 1, "text": "Rewritten"})
    assert response.status_code == 403
    guide_page = admin.get(f"/admin/guide/guide/{guide.pk}/change/")
    assert b"Rewritten" not in guide_page.content
    assert Question.objects.get(pk=question.pk).text == "Discussion question 1?"


def test_an_unused_guides_edit_reaches_every_cached_agenda(facilitator, guide):
    session = services.session_start(facilitator=facilitator, guide=guide)
    assert selectors.agenda(session)[-2].title == "Discussion question 3?"
    session.delete()  # the guide is unused again: editable
    question = guide.questions.get(number=3)
    question.text = "A better third question?"
    question.save()
    again = services.session_start(facilitator=facilitator, guide=guide)
    again = selectors.session_by_code(again.code)  # as a request reads it
    assert selectors.agenda(again)[-2].title == "A better third question?"


@pytest.mark.parametrize("look_alike", ["Аda", "ＡＤＡ", "ada"])  # Cyrillic А, full width, case
def test_a_look_alike_name_counts_as_taken(session, look_alike):
    services.participant_join(session=session, name="Ada")
    with pytest.raises(SessionError) as error:
        services.participant_join(session=session, name=look_alike)
    assert error.value.code == "name_taken" and "already called “Ada”" in error.value.message
    assert error.value.suggestion == f"{look_alike} (2)"
    assert session.participants.count() == 1


@pytest.mark.parametrize(
    "path", ["/s/{code}/", "/s/{code}/board/", "/s/{code}/state/", "/j/{code}"]
)
def test_once_codes_are_being_guessed_no_url_tells_a_live_code_apart(session, settings, path):
    settings.SEMINAR_JOIN_RATE = 5
    guesser = Client()
    statuses = [guesser.post("/join/", {"code": "ZZZZZZ"}).status_code for _ in range(6)]
    assert statuses[-1] == 429
    live = guesser.get(path.format(code=session.code))
    unknown = guesser.get(path.format(code="YYYYYY"))
    assert live.status_code == unknown.status_code == 429
    assert "Too many" in live.content.decode()


def test_unknown_codes_on_any_url_count_towards_the_limit(session, settings):
    settings.SEMINAR_JOIN_RATE = 3
    guesser = Client()
    for code in ("ZZZZZZ", "YYYYYY", "XXXXXX"):
        assert guesser.get(f"/s/{code}/board/").status_code == 404
    assert guesser.get(f"/s/{session.code}/board/").status_code == 429
    assert Client(REMOTE_ADDR="10.1.1.1").get(f"/s/{session.code}/board/").status_code == 200


@pytest.mark.parametrize("header, trusted", [("", False), ("X-Forwarded-For", True)])
def test_serve_believes_forwarded_headers_only_behind_a_named_proxy(
    monkeypatch, settings, header, trusted
):
    import uvicorn
    from django.core.management import call_command

    settings.TRUSTED_PROXY_HEADER = header
    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options))
    call_command("serve", port=8123)
    assert seen["proxy_headers"] is trusted
    assert bool(seen["forwarded_allow_ips"]) is trusted
