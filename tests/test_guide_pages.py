"""Guide pages and importing a guide in the browser."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guide.models import Guide, Question, Quote, Reference, Theme
from guide.services import guide_import

DEFAULT_GUIDE = (
    Path(__file__).resolve().parent.parent / "guide/data/dangerous-illusion-of-ai-coding.txt"
)
IMPORT_URL = "/guides/import/"
CONFIRM_URL = "/guides/import/confirm/"

SMALL_GUIDE = """\
A Small Guide - Someone

Overview
What it is about.

Key Themes
1. Origins
Where it started.

Discussion Questions
1. What now?
2. What next?
"""


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Guide, Theme, Quote, Reference, Question))


@pytest.fixture
def default_guide(db):
    return guide_import(text=DEFAULT_GUIDE.read_text(encoding="utf-8")).guide


@pytest.fixture
def signed_in(client, facilitator):
    client.force_login(facilitator)
    return client


# --- Reading guides ----------------------------------------------------------------------------


def test_list_shows_the_latest_version_with_counts(client, default_guide):
    response = client.get("/guides/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "The Dangerous Illusion of AI Coding?" in html
    assert "Jeremy Howard" in html
    assert "9 themes" in html and "7 quotes" in html and "10 people" in html
    assert "5 questions" in html
    assert default_guide.get_absolute_url() in html
    # Import is for facilitators only.
    assert IMPORT_URL not in html


def test_list_links_to_import_for_signed_in_users(signed_in, default_guide):
    assert IMPORT_URL in signed_in.get("/guides/").content.decode()


def test_detail_shows_the_whole_guide(client, default_guide):
    response = client.get(default_guide.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>The Dangerous Illusion of AI Coding?</h1>" in html
    assert "In this MLST (Machine Learning Street Talk) interview" in html
    assert html.index("The Origins of Transfer Learning") < html.index("The iPyKernel Experiment")
    assert "<cite>John Ousterhout, via Howard</cite>" in html
    assert "<dt>Fred Brooks</dt>" in html
    assert html.count('<li value="') == 5
    assert "Source: YouTube" in html
    # Starting a session needs an account.
    assert "Start a session with this guide" not in html


def test_detail_links_signed_in_users_to_a_new_session(signed_in, default_guide):
    html = signed_in.get(default_guide.get_absolute_url()).content.decode()
    new_session = f"{reverse('seminar:session_new')}?guide={default_guide.pk}"
    assert f'href="{new_session}"' in html
    assert "Start a session with this guide" in html


def test_detail_shows_the_latest_version(client, facilitator, default_guide):
    from seminar.models import Session

    Session.objects.create(code="ABCDEF", guide=default_guide, facilitator=facilitator)
    text = DEFAULT_GUIDE.read_text(encoding="utf-8").replace("The iPyKernel", "The IPyKernel")
    assert guide_import(text=text).outcome == "new_version"
    html = client.get(default_guide.get_absolute_url()).content.decode()
    assert "The IPyKernel Experiment" in html and "version 2" in html


def test_unknown_guide_is_404(client, db):
    assert client.get("/guides/no-such-guide/").status_code == 404


def test_imported_text_is_escaped(client, db):
    text = SMALL_GUIDE.replace("1. Origins", "1. <script>alert(1)</script>")
    guide = guide_import(text=text).guide
    for url in (guide.get_absolute_url(), "/guides/"):
        html = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html
    html = client.get(guide.get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- Importing in the browser ------------------------------------------------------------------


def test_import_needs_a_signed_in_user(client, db):
    for response in (client.get(IMPORT_URL), client.post(CONFIRM_URL, {"text": SMALL_GUIDE})):
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    assert counts() == (0, 0, 0, 0, 0)


def test_import_page_has_both_inputs(signed_in):
    html = signed_in.get(IMPORT_URL).content.decode()
    assert ">Guide file</label>" in html
    assert ">Guide text</label>" in html
    assert 'enctype="multipart/form-data"' in html


def test_pasted_text_is_previewed_not_saved(signed_in):
    response = signed_in.post(IMPORT_URL, {"text": SMALL_GUIDE})
    html = response.content.decode()
    assert response.status_code == 200
    assert "A Small Guide" in html
    assert "1 theme · 0 quotes · 0 people · 2 questions" in " ".join(html.split())
    assert "<li>Origins</li>" in html and "<li>What next?</li>" in html
    assert "Confirm import" in html
    assert counts() == (0, 0, 0, 0, 0)


def test_uploaded_file_is_previewed(signed_in):
    upload = SimpleUploadedFile("guide.txt", DEFAULT_GUIDE.read_bytes(), "text/plain")
    html = signed_in.post(IMPORT_URL, {"file": upload}).content.decode()
    assert "9 themes · 7 quotes · 10 people · 5 questions" in " ".join(html.split())
    assert "Confirm import" in html
    assert counts() == (0, 0, 0, 0, 0)


def test_errors_are_shown_inline_with_the_line_and_the_text_kept(signed_in):
    text = SMALL_GUIDE.replace("1. Origins", "Origins")
    response = signed_in.post(IMPORT_URL, {"text": text})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Line 7: expected a numbered theme like &quot;1. Title&quot;" in html
    assert "Where it started." in html  # the pasted text is still in the box
    # The line itself is quoted above the box.
    assert '<span class="guide-error-lineno">7</span>Origins</pre>' in html
    assert html.index("guide-error-line") < html.index("<textarea")
    assert "Confirm import" not in html
    assert counts() == (0, 0, 0, 0, 0)


def test_a_broken_file_is_put_in_the_text_box_to_fix(signed_in):
    upload = SimpleUploadedFile("week3.md", SMALL_GUIDE.replace("1. What", "What").encode())
    html = signed_in.post(IMPORT_URL, {"file": upload}).content.decode()
    assert "week3.md, line 11: expected a numbered question" in html
    assert "A Small Guide - Someone" in html


def test_non_text_and_oversized_uploads_are_refused(signed_in):
    binary = SimpleUploadedFile("guide.pdf", b"%PDF-1.7\x00\x01")
    assert (
        "is not a UTF-8 text file" in signed_in.post(IMPORT_URL, {"file": binary}).content.decode()
    )
    huge = SimpleUploadedFile("guide.txt", b"x" * 1_000_001)
    response = signed_in.post(IMPORT_URL, {"file": huge})
    assert response.status_code == 400
    assert "larger than 1 MB" in response.content.decode()


def test_nothing_to_import(signed_in):
    response = signed_in.post(IMPORT_URL, {"text": "  "})
    assert "Choose a guide file or paste" in response.content.decode()


def test_confirm_imports_and_says_what_happened(signed_in):
    response = signed_in.post(
        CONFIRM_URL, {"text": SMALL_GUIDE, "filename": "pasted text"}, follow=True
    )
    guide = Guide.objects.get()
    assert response.redirect_chain == [(guide.get_absolute_url(), 302)]
    assert "Imported &quot;A Small Guide&quot; as a new guide." in response.content.decode()
    assert counts() == (1, 1, 0, 0, 2)

    again = signed_in.post(CONFIRM_URL, {"text": SMALL_GUIDE}, follow=True)
    assert "nothing changed" in again.content.decode()
    changed = signed_in.post(CONFIRM_URL, {"text": SMALL_GUIDE + "3. And?\n"}, follow=True)
    assert "Updated &quot;A Small Guide&quot; in place" in changed.content.decode()
    assert counts() == (1, 1, 0, 0, 3)


def test_confirm_reparses_tampered_text(signed_in):
    tampered = SMALL_GUIDE.replace("Discussion Questions\n", "")
    response = signed_in.post(CONFIRM_URL, {"text": tampered})
    html = response.content.decode()
    assert response.status_code == 400
    assert "has no &quot;Discussion Questions&quot; section" in html
    assert "Where it started." in html
    assert counts() == (0, 0, 0, 0, 0)


def test_confirm_needs_csrf(facilitator, db):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(facilitator)
    assert client.post(CONFIRM_URL, {"text": SMALL_GUIDE}).status_code == 403
    assert counts() == (0, 0, 0, 0, 0)


# --- Signing in --------------------------------------------------------------------------------


def test_login_page(client, db):
    html = client.get(reverse("login") + "?next=/guides/import/").content.decode()
    assert "<h1>Facilitator sign-in</h1>" in html
    assert ">Username:</label>" in html or ">Username</label>" in html
    assert "Password" in html and "Sign in" in html
    assert 'name="next" value="/guides/import/"' in html
    assert "Students do not need an account" in html


def test_login_errors_are_shown(client, facilitator):
    response = client.post(reverse("login"), {"username": "ada", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_login_keeps_next(client, facilitator):
    response = client.post(
        reverse("login"),
        {"username": "ada", "password": "correct-horse-battery", "next": "/guides/import/"},
    )
    assert response.status_code == 302 and response.url == "/guides/import/"


def test_login_without_next_goes_to_the_sessions_list(client, facilitator):
    html = client.get(reverse("login")).content.decode()
    assert f'name="next" value="{reverse("seminar:facilitate")}"' in html
