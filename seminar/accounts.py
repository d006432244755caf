"""When a facilitator's account changes outside any session, its open screens follow.

Signing out, a new password and deactivation each end what that browser (or every browser,
for the last two) may see: Django refuses their next request by itself, and these receivers
tell the live sessions the account runs, so their open console and moderator sockets check
their access again and close if it is gone (seminar/consumers.py), on every worker.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_save

from seminar import services

# What a save must touch to change who the account is allowed to be. Signing in saves
# last_login only (and rehashing a password on sign-in saves it too, which is harmless).
ACCESS_FIELDS = frozenset({"password", "is_active"})


def signed_out(sender, request, user, **kwargs):
    if user is not None:
        _changed(user)


def saved(sender, instance, created, update_fields, **kwargs):
    if created or (update_fields is not None and not ACCESS_FIELDS & set(update_fields)):
        return
    _changed(instance)


def _changed(user) -> None:
    services.account_access_changed(user=user)


def connect() -> None:
    user_logged_out.connect(signed_out, dispatch_uid="seminar-signed-out")
    post_save.connect(saved, sender=get_user_model(), dispatch_uid="seminar-account-saved")
