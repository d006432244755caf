"""After (or during) a session: the summary page, the downloads, notes, and deleting it.

The summary, the downloads and notes are for the people who facilitate the session (its
facilitator and those they shared it with); deleting is for its facilitator only. Anyone
else gets a 404 (we do not say the session exists); anonymous visitors are sent to sign in.
Every page reads `seminar.summary`, the downloads `seminar.exports`, so the page, the files
and `manage.py export_session` agree.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from seminar import exports, services
from seminar.errors import SessionError
from seminar.models import Session
from seminar.summary import session_summary, visible_only
from seminar.views.console import _own_session

PLAIN = "text/plain; charset=utf-8"
EXPORT_LABELS = [("md", "Markdown"), ("csv", "CSV"), ("json", "JSON"), ("html", "HTML")]


def _readable_session(request, code) -> Session:
    """The session if the user facilitates it (`Session.is_facilitated_by`): being staff or a
    superuser is not enough, since staff are every teacher; a 404 otherwise."""
    return _own_session(request, code)


def _names(request) -> str:
    names = request.GET.get("names", "real") or "real"
    if names not in ("real", "pseudonyms"):
        raise ValueError(names)
    return names


def _download(export: exports.Export) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = content_disposition_header(True, export.filename)
    # Students' names and answers: no shared cache may keep a copy.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def summary(request, code):
    session = _readable_session(request, code)
    data = visible_only(session_summary(session))
    ctx = exports.page_context(data)
    ctx.update(
        formats=EXPORT_LABELS,
        show_hidden=False,
        is_owner=session.facilitator_id == request.user.pk,
    )
    return render(request, "seminar/summary.html", ctx)


@login_required
@require_GET
def export(request, code, fmt):
    session = _readable_session(request, code)
    if fmt not in exports.FORMATS:
        # A response, not Http404, so the message reaches the reader without DEBUG.
        return HttpResponseNotFound(
            f"Unknown export format “{fmt}”: choose md, csv, json or html.",
            content_type=PLAIN,
        )
    try:
        names = _names(request)
    except ValueError:
        return HttpResponseBadRequest("names must be “real” or “pseudonyms”.")
    return _download(exports.export(session, fmt, names=names))


@login_required
@require_GET
def export_participants(request, code):
    session = _readable_session(request, code)
    try:
        names = _names(request)
    except ValueError:
        return HttpResponseBadRequest("names must be “real” or “pseudonyms”.")
    return _download(exports.export_participants(session, names=names))


@login_required
@require_POST
def note_save(request, code, step_key):
    """Save the notes on one step: htmx gets a short status text, a plain form a redirect."""
    session = _own_session(request, code)
    try:
        note = services.note_save(
            session=session, by=request.user, step_key=step_key, text=request.POST.get("text", "")
        )
    except SessionError as error:
        # Plain text, so the message is shown as typed (never as markup).
        return HttpResponse(error.message, status=error.status, content_type=PLAIN)
    saved = f"Saved {timezone.localtime(note.updated_at):%H:%M}"
    if request.htmx:
        return HttpResponse(saved, content_type=PLAIN)
    messages.success(request, f"Notes saved ({saved[6:]}).")
    return redirect("seminar:console", code=session.code)


@login_required
@require_http_methods(["GET", "POST"])
def session_delete(request, code):
    """Delete the session for good, after a confirmation page (works without JavaScript)."""
    session = _own_session(request, code)
    if session.facilitator_id != request.user.pk:
        return HttpResponse(
            "Only the facilitator who started this session can delete it.",
            status=403,
            content_type=PLAIN,
        )
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        title = session.display_title
        services.session_delete(session=session, by=request.user)
        messages.success(
            request, f"The session “{title}” ({session.code}) and all its answers were deleted."
        )
        return redirect("seminar:facilitate")
    s = {
        "title": session.display_title,
        "code": session.code,
        "participant_count": session.participants.count(),
    }
    return render(request, "seminar/summary.html", {"confirm_delete": True, "s": s})
