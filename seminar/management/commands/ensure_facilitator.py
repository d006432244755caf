"""`manage.py ensure_facilitator [--username NAME]`: make sure someone can sign in to run a session.

Run by `make run` on every start: the first time it creates the account and prints its password
once; afterwards it only says the account exists.
"""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Create the facilitator account if it does not exist yet, printing its password once."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="facilitator")

    def handle(self, *args, username, **options):
        User = get_user_model()
        reset = f".venv/bin/python manage.py changepassword {username}"
        with transaction.atomic():
            if User.objects.filter(username=username).exists():
                self.stdout.write(
                    f'Facilitator account "{username}" exists. Forgot its password? Run: {reset}'
                )
                return
            password = secrets.token_urlsafe(12)
            # Staff with the guide permissions, not a superuser: enough to fix a guide in
            # /admin/, not to manage accounts.
            user = User.objects.create_user(username, password=password, is_staff=True)
            user.user_permissions.set(Permission.objects.filter(content_type__app_label="guide"))
        self.stdout.write(
            self.style.SUCCESS("Created the facilitator account. Sign in with:")
            + f"\n    Username: {username}\n    Password: {password}\n"
            "This password is shown only once: write it down now. "
            f"To change it later, run: {reset}"
        )
