"""The commands `make run` chains: load_guide, ensure_facilitator, serve_banner."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from guide.models import Guide

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_GUIDE = ROOT / "guide" / "data" / "dangerous-illusion-of-ai-coding.txt"


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# --- load_guide --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_load_guide_prints_a_summary():
    assert run("load_guide", str(DEFAULT_GUIDE)) == (
        'Imported "The Dangerous Illusion of AI Coding?" (created): '
        "9 themes, 7 quotes, 10 people, 5 questions.\n"
    )
    assert "(unchanged)" in run("load_guide", str(DEFAULT_GUIDE))
    assert Guide.objects.count() == 1


@pytest.mark.django_db
def test_load_guide_with_a_slug():
    run("load_guide", str(DEFAULT_GUIDE), "--slug", "week-1")
    assert Guide.objects.get().slug == "week-1"


@pytest.mark.django_db
def test_load_guide_refuses_a_bad_file_with_file_and_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("A Guide\n\nKey Themes\nNot numbered\n", encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        run("load_guide", str(bad))
    assert str(caught.value) == f'{bad}:4: expected a numbered theme like "1. Title"'
    assert Guide.objects.count() == 0


@pytest.mark.django_db
def test_load_guide_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read the file"):
        run("load_guide", str(tmp_path / "nope.txt"))
    with pytest.raises(CommandError, match="cannot read the file"):
        run("load_guide", str(tmp_path))


def manage(*args, tmp_path) -> subprocess.CompletedProcess:
    # A throwaway database: the subprocess must never touch the developer's db.sqlite3.
    env = {
        **os.environ,
        "SECRET_KEY": "test-only",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_load_guide_exit_status_on_bad_input(tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text("# A Guide\n\n## Key Themes\n### One\n\n## Bibliography\n", encoding="utf-8")
    result = manage("load_guide", str(bad), tmp_path=tmp_path)
    assert result.returncode == 1
    assert f'{bad}:6: unknown section "Bibliography"' in result.stderr
    assert "Traceback" not in result.stderr

    binary = tmp_path / "guide.pdf"
    binary.write_bytes(b"%PDF\x00\x01")
    result = manage("load_guide", str(binary), tmp_path=tmp_path)
    assert result.returncode == 1
    assert "is not a UTF-8 text file" in result.stderr
    assert "Traceback" not in result.stderr


# --- ensure_facilitator ------------------------------------------------------------------------


@pytest.mark.django_db
def test_ensure_facilitator_creates_the_account_once():
    first = run("ensure_facilitator")
    assert "Username: facilitator" in first
    assert "shown only once" in first
    password = first.split("Password: ")[1].split()[0]
    from django.test import RequestFactory

    # As the sign-in page does (django-axes counts attempts per request).
    request = RequestFactory().post("/accounts/login/")
    user = authenticate(request, username="facilitator", password=password)
    assert user is not None
    assert user.is_staff and not user.is_superuser
    assert user.has_perm("guide.change_guide") and user.has_perm("guide.add_theme")
    assert not user.has_perm("auth.change_user")

    second = run("ensure_facilitator")
    assert "exists" in second
    assert password not in second
    assert ".venv/bin/python manage.py changepassword facilitator" in second
    assert get_user_model().objects.count() == 1


@pytest.mark.django_db
def test_ensure_facilitator_with_another_username():
    assert "Username: grace" in run("ensure_facilitator", "--username", "grace")
    assert get_user_model().objects.filter(username="grace").exists()


# --- serve_banner ------------------------------------------------------------------------------


def test_serve_banner_lists_the_pages():
    out = run("serve_banner", "--host", "127.0.0.1", "--port", "8123")
    for url in (
        "http://127.0.0.1:8123/",
        "http://127.0.0.1:8123/facilitate/",
        "http://127.0.0.1:8123/guides/",
    ):
        assert url in out
    assert "make run HOST=0.0.0.0 ALLOWED_HOSTS=" in out


def test_serve_banner_on_every_address_shows_a_reachable_one():
    out = run("serve_banner", "--host", "0.0.0.0", "--port", "8000")
    assert "http://0.0.0.0" not in out
    assert ":8000/facilitate/" in out
