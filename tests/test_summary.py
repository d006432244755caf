"""The summary page, who may see it and the downloads, notes on steps, and deleting a session."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from seminar import identity, services
from seminar.errors import SessionError
from seminar.models import (
    Answer,
    Connection,
    Participant,
    QuestionState,
    Session,
    StepLog,
    StepNote,
    Vote,
)
from seminar.summary import format_duration, session_summary
from tests.test_exports import ANSWERS, HIDDEN, at, build_session

CODE = "ABCDEF"
READ_URLS = [
    reverse("seminar:summary", args=[CODE]),
    *(reverse("seminar:export", args=[CODE, fmt]) for fmt in ("md", "csv", "json", "html")),
    reverse("seminar:export_participants", args=[CODE]),
]
OWNER_URLS = [  # (method, url): the facilitator's only, not staff's
    ("post", reverse("seminar:note_save", args=[CODE, "overview"])),
    ("get", reverse("seminar:session_delete", args=[CODE])),
    ("post", reverse("seminar:session_delete", args=[CODE])),
]


@pytest.fixture(autouse=True)
def _utc(settings):
    """Expected times below are written in UTC, whatever TIME_ZONE the environment sets."""
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def rich(facilitator, guide):
    return build_session(facilitator, guide)


@pytest.fixture
def staff_client(db):
    user = get_user_model().objects.create_user("hopper", password="x", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


def step_section(html: str, key: str) -> str:
    """The HTML of one step's section on the summary page."""
    start = html.index(f'id="step-{key}"')
    end = html.find('class="summary-step"', start)
    return html[start : end if end != -1 else None]


# --- the page ----------------------------------------------------------------------------------


def test_the_summary_shows_the_session_its_timeline_and_visible_answers(rich, facilitator_client):
    response = facilitator_client.get(reverse("seminar:summary", args=[CODE]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/static/seminar/summary.css"' in html
    for text in [
        "Tuesday seminar",
        "A Small Guide",
        "4 March 2025",
        "14:00",
        "15:10",
        "1 h 10 min",
        "Participants</dt><dd>4</dd>",
    ]:
        assert text in html
    overview = re.search(r"<tr[^>]*>.*?#step-overview.*?</tr>", html, re.S).group(0)
    assert "15 min" in overview and ">2<" in overview  # two visits, summed
    for i, (_, _, text) in enumerate(ANSWERS):
        shown = escape(text).replace("\n", "<br>")
        if i == HIDDEN:
            assert "secret hidden remark" not in html
        else:
            assert shown in html
    assert "<b>not html</b>" not in html  # user text is escaped
    assert escape('Bo, "the" <Builder>') in html
    q1 = step_section(html, "question-1")
    assert "Answered by 4 of 4 students present (100%)" in q1
    assert "1 hidden (not listed here)" in q1
    # Ordered by votes: Ana's answer (2 votes) before Émile's (none).
    assert q1.index("Commas, &quot;quotes&quot;") < q1.index("+1 for pairing")
    q2 = step_section(html, "question-2")
    assert q2.index("Plain answer, pinned") < q2.index("@x")  # pinned first, and marked
    assert "Pinned</span>" in q2.split("@x")[0]
    for fmt in ("md", "csv", "json", "html"):
        url = reverse("seminar:export", args=[CODE, fmt])
        assert f'href="{url}"' in html and f'href="{url}?names=pseudonyms"' in html
    assert reverse("seminar:export_participants", args=[CODE]) in html
    assert f'href="{reverse("seminar:session_delete", args=[CODE])}"' in html


def test_a_co_facilitator_reads_the_summary_without_the_owners_delete(rich, facilitator, client):
    grace = get_user_model().objects.create_user("grace2", password="x", is_staff=True)
    services.session_share(session=rich, by=facilitator, username="grace2")
    client.force_login(grace)
    html = client.get(reverse("seminar:summary", args=[CODE])).content.decode()
    assert "Tuesday seminar" in html
    assert reverse("seminar:session_delete", args=[CODE]) not in html


def test_a_step_visited_twice_sums_and_an_open_step_counts_until_now(facilitator, guide):
    session = build_session(facilitator, guide, end=False)
    now = at(75)
    data = session_summary(session, now=now)
    steps = {s["key"]: s for s in data["steps"]}
    assert steps["overview"]["seconds"] == 15 * 60
    assert steps["question-2"]["seconds"] == 15 * 60  # from 15:00 until "now", 15:15
    assert data["session"]["duration_seconds"] == 75 * 60
    # Ended without closing the log entry (e.g. an old row): counts until the session ended.
    Session.objects.filter(pk=session.pk).update(ended_at=at(65))
    session.refresh_from_db()
    data = session_summary(session, now=timezone.now())
    assert {s["key"]: s for s in data["steps"]}["question-2"]["seconds"] == 5 * 60
    assert data["session"]["duration_seconds"] == 65 * 60


def test_durations_read_naturally():
    assert format_duration(0) == "0 s"
    assert format_duration(45) == "45 s"
    assert format_duration(300) == "5 min"
    assert format_duration(754) == "12 min 34 s"
    assert format_duration(4230) == "1 h 10 min"


# --- who may see what --------------------------------------------------------------------------


@pytest.mark.parametrize("url", READ_URLS)
def test_reading_needs_a_facilitator_of_the_session(
    rich, client, other_facilitator, staff_client, facilitator, url
):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))

    student = Client()
    django_session = student.session
    identity.remember(django_session, Participant.objects.filter(session=rich).first())
    django_session.save()
    response = student.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))

    client.force_login(other_facilitator)
    assert client.get(url).status_code == 404
    # Staff are every teacher who may fix a guide: that does not open other classes.
    assert staff_client.get(url).status_code == 404
    client.force_login(facilitator)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("method,url", OWNER_URLS)
def test_notes_and_deletion_are_the_facilitators_only(
    rich, client, other_facilitator, staff_client, method, url
):
    response = getattr(client, method)(url, {"text": "x"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    client.force_login(other_facilitator)
    assert getattr(client, method)(url, {"text": "x", "confirm": "yes"}).status_code == 404
    assert getattr(staff_client, method)(url, {"text": "x", "confirm": "yes"}).status_code == 404
    assert Session.objects.filter(code=CODE).exists()
    assert StepNote.objects.get(session=rich, step_key="overview").text.startswith("Went well.")


def test_a_students_browser_cannot_save_notes_or_delete(rich, student_client):
    for method, url in OWNER_URLS:
        response = getattr(student_client, method)(url, {"text": "x", "confirm": "yes"})
        assert response.status_code == 302
    assert Session.objects.filter(code=CODE).exists()


# --- notes -------------------------------------------------------------------------------------


def note_url(step_key, code=CODE):
    return reverse("seminar:note_save", args=[code, step_key])


def test_notes_are_saved_updated_in_place_and_shown_under_their_step(rich, facilitator_client):
    response = facilitator_client.post(
        note_url("theme-2"), {"text": "First <draft>"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert re.fullmatch(r"Saved \d\d:\d\d", response.content.decode())
    response = facilitator_client.post(
        note_url("theme-2"), {"text": "Second, final\nline two"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert StepNote.objects.filter(session=rich, step_key="theme-2").count() == 1
    assert StepNote.objects.get(session=rich, step_key="theme-2").text == "Second, final\nline two"

    html = facilitator_client.get(reverse("seminar:summary", args=[CODE])).content.decode()
    assert "Second, final<br>line two" in step_section(html, "theme-2")
    assert "First" not in html
    # A step with nothing of the session in it is in the timeline, not a heading of its own.
    assert 'id="step-theme-1"' not in html
    assert "Theme 1" in html.split('class="summary-steps"')[0]


def test_a_plain_form_saves_notes_and_returns_to_the_console(rich, facilitator_client):
    response = facilitator_client.post(note_url("wrapup"), {"text": "Thanks all."})
    assert response.status_code == 302
    assert response["Location"] == reverse("seminar:console", args=[CODE])
    assert StepNote.objects.get(session=rich, step_key="wrapup").text == "Thanks all."


def test_notes_refuse_an_unknown_step_or_too_much_text(rich, facilitator_client):
    before = list(StepNote.objects.values_list("step_key", "text"))
    response = facilitator_client.post(note_url("theme-9"), {"text": "x"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "no such step" in response.content.decode()
    response = facilitator_client.post(note_url("overview"), {"text": "x" * 20001})
    assert response.status_code == 400
    assert "the limit is 20,000" in response.content.decode()
    assert list(StepNote.objects.values_list("step_key", "text")) == before
    assert facilitator_client.get(note_url("overview")).status_code == 405


def test_notes_need_a_csrf_token(rich, facilitator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(facilitator)
    assert client.post(note_url("overview"), {"text": "sneaky"}).status_code == 403
    assert StepNote.objects.get(session=rich, step_key="overview").text.startswith("Went well.")


def test_note_save_service_rules(session, facilitator, other_facilitator):
    services.session_end(session=session, by=facilitator)
    note = services.note_save(session=session, by=facilitator, step_key="lobby", text="After")
    assert note.text == "After"  # saved even after the session ended
    assert (
        services.note_save(session=session, by=facilitator, step_key="lobby", text="Again").pk
        == note.pk
    )
    for kwargs, code in [
        ({"by": other_facilitator, "step_key": "lobby", "text": "x"}, "forbidden"),
        ({"by": None, "step_key": "lobby", "text": "x"}, "forbidden"),
        ({"by": facilitator, "step_key": "nope", "text": "x"}, "invalid_step"),
        ({"by": facilitator, "step_key": "lobby", "text": "x" * 20001}, "note_too_long"),
    ]:
        with pytest.raises(SessionError) as caught:
            services.note_save(session=session, **kwargs)
        assert caught.value.code == code
    assert StepNote.objects.get(session=session).text == "Again"


# --- deleting ----------------------------------------------------------------------------------


def test_deleting_asks_first_then_removes_every_trace(rich, facilitator_client, facilitator):
    pk = rich.pk
    participant = Participant.objects.filter(session=rich).first()
    services.connection_open(participant=participant, channel_name="test.channel!1")
    names = list(Participant.objects.filter(session=rich).values_list("name", flat=True))
    texts = list(Answer.objects.filter(session=rich).values_list("text", flat=True))
    assert Vote.objects.filter(answer__session=rich).exists()

    page = facilitator_client.get(reverse("seminar:session_delete", args=[CODE]))
    assert page.status_code == 200
    assert "Delete “Tuesday seminar”?" in page.content.decode()
    # A POST without the confirmation only asks again.
    delete_url = reverse("seminar:session_delete", args=[CODE])
    assert facilitator_client.post(delete_url).status_code == 200
    assert Session.objects.filter(pk=pk).exists()

    response = facilitator_client.post(
        reverse("seminar:session_delete", args=[CODE]), {"confirm": "yes"}, follow=True
    )
    assert response.redirect_chain == [(reverse("seminar:facilitate"), 302)]
    html = response.content.decode()
    assert "were deleted" in html
    assert f'href="{reverse("seminar:console", args=[CODE])}"' not in html

    assert not Session.objects.filter(pk=pk).exists()
    for model in (Participant, Answer, StepNote, StepLog, QuestionState, Connection):
        assert not model.objects.filter(session_id=pk).exists(), model
    assert not Vote.objects.exists()
    assert not Participant.objects.filter(name__in=names).exists()
    assert not Answer.objects.filter(text__in=texts).exists()
    for url in READ_URLS:
        assert facilitator_client.get(url).status_code == 404


def test_session_delete_service_is_for_the_facilitator(session, other_facilitator):
    with pytest.raises(SessionError) as caught:
        services.session_delete(session=session, by=other_facilitator)
    assert caught.value.code == "forbidden"
    assert Session.objects.filter(pk=session.pk).exists()


def test_deleting_one_session_keeps_the_others(facilitator, guide, answer):
    other = answer.session
    session = build_session(facilitator, guide)
    services.session_delete(session=session, by=facilitator)
    assert Session.objects.filter(pk=other.pk).exists()
    assert Answer.objects.filter(pk=answer.pk).exists()
    assert guide.questions.count() == 3


def test_summary_of_a_session_with_nobody(session, facilitator_client, facilitator):
    Session.objects.filter(pk=session.pk).update(
        code=CODE, created_at=timezone.now() - timedelta(minutes=3)
    )
    html = facilitator_client.get(reverse("seminar:summary", args=[CODE])).content.decode()
    assert "Not opened in this session." in html
    assert "No answers." in html
