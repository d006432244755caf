"""Facilitator sign-in: Django's LoginView with a "keep me signed in" choice, and the page a
throttled sign-in gets (django-axes counts failures per username and client)."""

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render


class SignInForm(AuthenticationForm):
    remember = forms.BooleanField(
        label="Keep me signed in on this computer",
        required=False,
        help_text="Leave unticked on a shared classroom computer: you are signed out when the "
        "browser closes.",
    )


class SignInView(auth_views.LoginView):
    form_class = SignInForm

    def form_valid(self, form):
        response = super().form_valid(form)
        # A facilitator's sign-in ends with the browser unless they asked to stay.
        if not form.cleaned_data.get("remember"):
            self.request.session.set_expiry(0)
        return response


def locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout response (AXES_LOCKOUT_CALLABLE): the sign-in page, with why."""
    from django.conf import settings

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    locked = (
        f"Too many wrong passwords for this account from this computer. Sign-in is paused for "
        f"{minutes} minutes; try again after that, or ask whoever runs the server to reset the "
        "password (manage.py changepassword)."
    )
    context = {"form": SignInForm(request), "locked": locked}
    return render(request, "registration/login.html", context, status=429)
