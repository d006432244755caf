"""The facilitator's console: sign-in, starting a session, walking the agenda, ownership."""

import pytest

from seminar import services
from seminar.agenda import build_agenda
from seminar.errors import SessionError
from seminar.models import QuestionState, Session, StepLog
from tests.live_model import Published


def test_agenda_follows_the_guide(guide):
    keys = [s.key for s in build_agenda(guide)]
    assert keys == [
        "lobby",
        "overview",
        "theme-1",
        "theme-2",
        "theme-3",
        "quotes",
        "people",
        "question-1",
        "question-2",
        "question-3",
        "wrapup",
    ]


def test_facilitate_requires_sign_in(client, db):
    response = client.get("/facilitate/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_sign_in_lands_on_my_sessions(client, facilitator):
    response = client.post(
        "/accounts/login/", {"username": "ada", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200


def test_start_a_session_with_classroom_defaults(facilitator_client, facilitator, guide):
    response = facilitator_client.post(
        "/facilitate/new/",
        {"guide": guide.pk, "title": "Period 3", "names_hidden": "on", "answer_first": "on"},
    )
    session = Session.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/facilitate/{session.code}/"
    assert session.facilitator == facilitator and session.title == "Period 3"
    assert session.names_hidden and session.answer_first and not session.approve_first
    assert session.current_step == 0 and session.is_live
    assert QuestionState.objects.filter(session=session, is_open=False).count() == 3
    console = facilitator_client.get(response["Location"]).content.decode()
    for text in [
        "Next step",
        "Previous step",
        "Open question",
        "End session",
        session.code,
        f"/j/{session.code}",
    ]:
        assert text in console
    assert 'src="data:image/svg+xml' in console  # the QR code


def test_a_session_can_start_with_approve_first(facilitator_client, guide):
    form = facilitator_client.get("/facilitate/new/").content.decode()
    assert "Approve first: new answers and replies wait for your review" in form
    facilitator_client.post("/facilitate/new/", {"guide": guide.pk, "approve_first": "on"})
    assert Session.objects.get().approve_first


def test_session_list_shows_live_first_with_counts(
    facilitator_client, facilitator, guide, participant, session
):
    older = services.session_start(facilitator=facilitator, guide=guide, title="Last week")
    services.session_end(session=older, by=facilitator)
    html = facilitator_client.get("/facilitate/").content.decode()
    assert html.index("Tuesday seminar") < html.index("Last week")
    assert "Live" in html and "Ended" in html


def test_qr_and_links_use_site_url_behind_a_proxy(facilitator_client, session, settings):
    settings.SITE_URL = "https://seminar.school.example"
    html = facilitator_client.get(f"/facilitate/{session.code}/").content.decode()
    assert f"https://seminar.school.example/j/{session.code}" in html


def test_steps_move_and_are_logged(facilitator_client, session):
    url = f"/facilitate/{session.code}/step/"
    facilitator_client.post(url, {"to": "next"})
    facilitator_client.post(url, {"to": "next"})
    facilitator_client.post(url, {"to": "previous"})
    facilitator_client.post(url, {"to": "7"})
    session.refresh_from_db()
    assert session.current_step == 7
    log = list(StepLog.objects.filter(session=session).values_list("key", "ended_at"))
    assert [key for key, _ in log] == ["lobby", "overview", "theme-1", "overview", "question-1"]
    assert all(ended is not None for _, ended in log[:-1]) and log[-1][1] is None


def test_a_step_that_does_not_exist_is_refused(facilitator_client, session):
    response = facilitator_client.post(
        f"/facilitate/{session.code}/step/", {"to": "99"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert "There is no step 100." in response.content.decode()


def test_step_change_reaches_every_audience_once(session, facilitator, broadcasts):
    services.step_next(session=session, by=facilitator)
    (message,) = broadcasts.changes
    assert [audience for audience, _ in message["parts"]] == [
        "students",
        "board",
        "facilitator",
        "facilitator",
        "facilitator",
    ]
    assert 'id="stage"' in broadcasts.html_to("students")
    assert 'id="stage"' in broadcasts.html_to("board")
    assert 'id="agenda"' in broadcasts.html_to("facilitator")
    assert 'id="agenda-nav"' in broadcasts.html_to("facilitator")
    assert 'id="notes"' in broadcasts.html_to("facilitator")


def test_one_step_change_renders_each_fragment_once_whatever_the_audience_size(
    session, facilitator, monkeypatch, transactional_db, settings
):
    """Render once, send to all: the number of renders does not depend on connected sockets."""
    from seminar import broadcast, screens

    settings.SEMINAR_PRESENCE_DELAY = 0  # no presence broadcast still pending from the joins
    for n in range(30):
        services.participant_join(session=session, name=f"Student {n}")
    rendered = []
    real = screens.render
    monkeypatch.setattr(
        screens,
        "render",
        lambda name, ctx, request=None: rendered.append(name) or real(name, ctx, request),
    )
    # Rendered as a process serving sockets renders it (seminar/ticks.py), once.
    monkeypatch.setattr(broadcast, "send", Published)
    services.step_next(session=session, by=facilitator)
    assert sorted(rendered) == sorted(
        [
            "seminar/room.html#stage",
            "seminar/board.html#stage",
            "seminar/console.html#agenda",
            "seminar/console.html#agenda-nav",
            "seminar/console.html#notes",
        ]
    )


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/facilitate/{code}/"),
        ("post", "/facilitate/{code}/step/"),
        ("post", "/facilitate/{code}/q/1/open/"),
        ("post", "/facilitate/{code}/q/1/close/"),
        ("post", "/facilitate/{code}/settings/"),
        ("post", "/facilitate/{code}/end/"),
        ("get", "/facilitate/{code}/end/"),
    ],
)
def test_another_facilitator_gets_404_from_every_console_url(
    client, other_facilitator, session, method, path
):
    client.force_login(other_facilitator)
    response = getattr(client, method)(
        path.format(code=session.code), {"to": "next", "confirm": "yes"}
    )
    assert response.status_code == 404
    session.refresh_from_db()
    assert session.current_step == 0 and session.is_live


@pytest.mark.parametrize("path", ["/facilitate/{code}/", "/facilitate/{code}/step/"])
def test_a_student_or_visitor_is_sent_to_sign_in(student_client, session, path):
    response = student_client.post(path.format(code=session.code), {"to": "next"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_services_check_the_facilitator_too(session, other_facilitator, participant):
    with pytest.raises(SessionError) as error:
        services.step_next(session=session, by=other_facilitator)
    assert error.value.code == "forbidden"
    session.refresh_from_db()
    assert session.current_step == 0


def test_end_session_asks_first_then_ends(facilitator_client, session):
    page = facilitator_client.get(f"/facilitate/{session.code}/end/")
    assert "End session" in page.content.decode()
    facilitator_client.post(f"/facilitate/{session.code}/end/", {})
    session.refresh_from_db()
    assert session.is_live
    facilitator_client.post(f"/facilitate/{session.code}/end/", {"confirm": "yes"})
    session.refresh_from_db()
    assert not session.is_live
    assert not StepLog.objects.filter(session=session, ended_at__isnull=True).exists()


def test_after_the_end_steps_cannot_move(facilitator_client, session, facilitator):
    services.session_end(session=session, by=facilitator)
    response = facilitator_client.post(
        f"/facilitate/{session.code}/step/", {"to": "next"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert "This session has ended." in response.content.decode()


def test_board_is_public_and_shows_the_join_code(client, session):
    response = client.get(f"/s/{session.code}/board/")
    html = response.content.decode()
    assert response.status_code == 200
    assert session.code in html and f"/j/{session.code}" in html
