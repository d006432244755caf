"""Facilitator sign-in: throttled per username and client (django-axes), on both sign-in pages,
and not kept for 120 days on a shared computer unless asked."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"


@pytest.fixture
def teacher(db):
    return get_user_model().objects.create_user("teacher", password=PASSWORD, is_staff=True)


def sign_in(client, password, *, remember=False, path="/accounts/login/", ip="10.0.0.1"):
    data = {"username": "teacher", "password": password}
    if remember:
        data["remember"] = "on"
    return client.post(path, data, REMOTE_ADDR=ip)


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_wrong_passwords_lock_the_account_out_for_this_client(teacher, path, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "wrong", path=path).status_code == 200
    locked = sign_in(client, "wrong", path=path)
    assert locked.status_code == 429
    assert "Sign-in is paused for 15 minutes" in locked.content.decode()
    # Even the right password waits out the cool-off now.
    again = sign_in(client, PASSWORD, path=path)
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another computer is not locked out with it.
    other = Client()
    assert sign_in(other, PASSWORD, path=path, ip="10.0.0.2").status_code == 302


def test_a_right_password_resets_the_count(teacher, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "wrong")
    assert sign_in(client, PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "wrong").status_code == 200


def test_sign_in_ends_with_the_browser_unless_kept(teacher):
    client = Client()
    assert sign_in(client, PASSWORD).status_code == 302
    assert client.session.get_expire_at_browser_close()
    kept = Client()
    assert sign_in(kept, PASSWORD, remember=True, ip="10.0.0.3").status_code == 302
    assert not kept.session.get_expire_at_browser_close()
    page = Client().get("/accounts/login/").content.decode()
    assert "Keep me signed in on this computer" in page
