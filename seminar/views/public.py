"""Joining: the home page's code form, the QR link /j/<CODE>, the name form."""

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from seminar import codes, identity, ratelimit, selectors, services
from seminar.errors import SessionError
from seminar.forms import JoinCodeForm, JoinNameForm


def _limit_joins(request):
    """Every code typed counts, so codes cannot be guessed at speed from one client."""
    ratelimit.check(
        "join",
        ratelimit.client_address(request),
        limit=settings.SEMINAR_JOIN_RATE,
        message="Too many join attempts from this device. Please wait a minute and try again.",
    )


def _limit_names(request):
    # Looser: a whole class may share one address behind a school's NAT.
    ratelimit.check(
        "join-name",
        ratelimit.client_address(request),
        limit=settings.SEMINAR_JOIN_RATE * 6,
        message="Too many people joined from this network just now. Please wait a moment.",
    )


def home(request):
    return render(request, "seminar/home.html", {"form": JoinCodeForm()})


@require_http_methods(["POST"])
def join(request):
    """The home page's form: a typed code, checked, then on to the name form."""
    form = JoinCodeForm(request.POST)
    status = 400
    if form.is_valid():
        code = codes.normalize_code(form.cleaned_data["code"])
        try:
            _limit_joins(request)
            session = None
            if codes.is_well_formed(code):
                session = selectors.session_for_client(code, ratelimit.client_address(request))
            if session is None:
                form.add_error(
                    "code", f"No session has the code {code}. Check the board and try again."
                )
                status = 404
            elif not session.is_live:
                form.add_error("code", "This session has ended.")
                status = 410
            else:
                return redirect("seminar:join_link", code=session.code)
        except SessionError as error:
            form.add_error("code", error.message)
            status = error.status
    return render(request, "seminar/home.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def join_link(request, code):
    """What the QR code opens: ask for a name (or go straight in if this browser joined)."""
    form = JoinCodeForm(data={"code": code})
    form.is_valid()
    try:
        session = selectors.session_for_client(code, ratelimit.client_address(request))
    except SessionError as error:
        form.add_error("code", error.message)
        return render(request, "seminar/home.html", {"form": form}, status=error.status)
    if session is None:
        try:
            _limit_joins(request)
        except SessionError as error:
            form.add_error("code", error.message)
            return render(request, "seminar/home.html", {"form": form}, status=error.status)
        form.add_error("code", f"No session has the code {code}. Check the board and try again.")
        return render(request, "seminar/home.html", {"form": form}, status=404)
    participant = identity.participant_for(request.session, session)
    if participant is not None:
        return redirect(session.get_absolute_url())
    if not session.is_live:
        return render(request, "seminar/join.html", {"session": session, "ended": True}, status=410)
    form = JoinNameForm(request.POST or None)
    status = 200
    suggestion = None
    if request.method == "POST" and form.is_valid():
        try:
            _limit_names(request)
            participant = services.participant_join(session=session, name=form.cleaned_data["name"])
        except SessionError as error:
            form.add_error("name", error.message)
            status = error.status
            suggestion = getattr(error, "suggestion", None)
        else:
            identity.remember(request.session, participant)
            return redirect(reverse("seminar:room", args=[session.code]))
    elif request.method == "POST":
        status = 400
    context = {"session": session, "form": form, "suggestion": suggestion}
    return render(request, "seminar/join.html", context, status=status)
