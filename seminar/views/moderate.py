"""Moderators: the link a phone claims (/m/<token>), and the moderator's screen.

A moderator is either a signed-in facilitator of the session (its owner or a co-facilitator)
or a browser that claimed one of its moderator links (seminar/identity.py). Both may use the
moderation views (`moderator_required`); everything else stays the facilitators' own.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from seminar import identity, ratelimit, screens, selectors, services
from seminar.errors import SessionError


def refused(request, error: SessionError, heading: str = "Not allowed"):
    """A refusal said in words: a page, or plain text for htmx (live.js reads it out)."""
    if request.htmx:
        return HttpResponse(
            error.message, status=error.status, content_type="text/plain; charset=utf-8"
        )
    context = {"heading": heading, "message": error.message}
    return render(request, "seminar/moderator_refused.html", context, status=error.status)


def moderator_required(methods: list[str]):
    """For a view taking `code`, answering `methods`: lets in the session's facilitators and
    the device holding one of its moderator links, with `request.moderating = (session, by)`
    (by: the user, or the ModeratorLink). As for facilitator views, a visitor with no account
    signs in first and any other method is refused (405) before the session is looked at; a
    signed-in stranger gets a 404 (we do not say the session exists); a revoked link, a 403
    that says so."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, code, *args, **kwargs):
            signed_in = request.user.is_authenticated
            if not signed_in and not identity.moderating(request.session, code):
                return redirect_to_login(request.get_full_path())
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            session = selectors.session_by_code(code)
            if session is not None and session.is_facilitated_by(request.user):
                request.moderating = (session, request.user)
                return view(request, code, *args, **kwargs)
            link = identity.moderator_for(request.session, session) if session else None
            if link is not None and link.revoked_at is not None:
                error = SessionError(services.MODERATOR_REVOKED, code="forbidden")
                return refused(request, error, "Moderator link revoked")
            if link is not None:
                request.moderating = (session, link)
                return view(request, code, *args, **kwargs)
            if not signed_in:
                return redirect_to_login(request.get_full_path())
            raise Http404("No session of yours has this code.")

        return wrapper

    return decorator


@require_http_methods(["GET", "POST"])
def moderator_claim(request, token):
    """What the moderator link opens: "Moderate … on this device", and its button claims the
    link for this browser. The device holding it goes straight to the moderator's screen."""
    try:
        link = selectors.moderator_link_for_client(token, ratelimit.client_address(request))
    except SessionError as error:
        return refused(request, error, "Please wait a minute")
    if link is None:
        error = SessionError(
            "This moderator link does not exist. Check that it was copied whole, or ask the "
            "facilitator for a new one.",
            code="not_found",
        )
        return refused(request, error, "Unknown moderator link")
    device = identity.device_key(request.session)
    try:
        if request.method == "POST":
            key = device or identity.new_device_key()
            link = services.moderator_link_claim(link=link, device_key=key)
            if device is None:
                request.session.cycle_key()  # a new role on this browser: a new session key
            identity.remember_moderator(request.session, link, key)
            return redirect("seminar:moderate", code=link.session.code)
        if services.moderator_link_check(link=link, device_key=device):
            return redirect("seminar:moderate", code=link.session.code)
    except SessionError as error:
        return refused(request, error, "This moderator link cannot be used here")
    return render(request, "seminar/moderator_claim.html", {"session": link.session})


@moderator_required(["GET", "HEAD"])
def moderate(request, code):
    """The moderator's screen: the queue and the answers, approve, hide, pin, spotlight."""
    session, _ = request.moderating
    regions = screens.moderator(screens.State(session, request))
    return render(request, "seminar/moderate.html", {"session": session, "regions": regions})
