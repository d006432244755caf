"""The facilitator's side: their sessions, starting one, and the live console.

Every view here is for the session's own facilitator: others get a 404 (we do not even say the
session exists). The services check again, so a consumer or script cannot skip the rule.
"""

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guide.models import Guide
from seminar import screens, selectors, services
from seminar.errors import SessionError
from seminar.forms import SessionStartForm
from seminar.models import ModeratorLink, Session
from seminar.views.moderate import moderator_required


def join_url(request, session: Session) -> str:
    """The absolute /j/<CODE> link; SITE_URL wins behind a proxy that rewrites the host."""
    path = reverse("seminar:join_link", args=[session.code])
    return settings.SITE_URL + path if settings.SITE_URL else request.build_absolute_uri(path)


def qr_svg(url: str) -> str:
    """A QR code of `url` as an SVG data URI (no script, nothing fetched)."""
    return segno.make(url, error="m").svg_data_uri(scale=10, border=2)


def _own_session(request, code) -> Session:
    """The session, if this user facilitates it (its facilitator or someone they shared it
    with: `Session.is_facilitated_by`); a 404 otherwise, so its existence is not told."""
    session = selectors.session_by_code(code)
    if session is None or not session.is_facilitated_by(request.user):
        raise Http404("No session of yours has this code.")
    return session


def _done(request, session, back="seminar:console"):
    """After an action: nothing to swap for htmx (every console, this one included, gets the
    change from the ordered stream; answering with it here too could race a newer frame), a
    plain form goes back to the console (or `back`)."""
    if request.htmx:
        return HttpResponse(status=204)
    return redirect(back, code=session.code)


def _refused(request, session, error: SessionError, back="seminar:console"):
    if error.code == "forbidden":  # not theirs to do: say so, never as a console notice
        return HttpResponse(error.message, status=403, content_type="text/plain; charset=utf-8")
    if request.htmx:
        html = render_to_string(
            "seminar/console.html#flash", {"error": error.message}, request=request
        )
        return HttpResponse(html, status=error.status)
    messages.error(request, error.message)
    return redirect(back, code=session.code)


@login_required
@require_GET
def session_list(request):
    sessions = (
        Session.objects.filter(Q(facilitator=request.user) | Q(co_facilitators=request.user))
        .distinct()
        .select_related("guide")
        .annotate(
            participant_count=Count("participants", distinct=True),
            answer_count=Count(
                "answers",
                filter=Q(
                    answers__hidden=False,
                    answers__pending=False,
                    answers__reply_to__isnull=True,
                ),
                distinct=True,
            ),
        )
        .order_by(F("ended_at").desc(nulls_first=True), "-created_at")
    )
    return render(
        request,
        "seminar/session_list.html",
        {
            "live": [s for s in sessions if s.is_live],
            "ended": [s for s in sessions if not s.is_live],
            "form": SessionStartForm(),
            "has_guides": Guide.objects.exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_new(request):
    initial = {}
    if guide_id := request.GET.get("guide"):
        known = guide_id.isascii() and guide_id.isdigit()  # not "²", which isdigit() accepts
        initial["guide"] = Guide.objects.filter(pk=guide_id).first() if known else None
    form = SessionStartForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            session = services.session_start(facilitator=request.user, **form.cleaned_data)
        except SessionError as error:
            form.add_error(None, error.message)
        else:
            return redirect("seminar:console", code=session.code)
    status = 400 if request.method == "POST" else 200
    return render(request, "seminar/session_new.html", {"form": form}, status=status)


@login_required
@require_GET
def console(request, code):
    session = _own_session(request, code)
    url = join_url(request, session)
    regions = screens.console(screens.State(session, request))
    return render(
        request,
        "seminar/console.html",
        {"session": session, "regions": regions, "join_url": url, "qr": qr_svg(url)},
    )


@login_required
@require_POST
def step_go(request, code):
    session = _own_session(request, code)
    to = request.POST.get("to", "")
    if to.isascii() and to.isdigit():  # not "²": str.isdigit() is true for it
        to = int(to)
    try:
        services.step_go(session=session, by=request.user, to=to)
    except SessionError as error:
        return _refused(request, session, error)
    return _done(request, session)


def _question_action(request, code, number, is_open):
    return _act(request, code, services.question_set_open, number=number, is_open=is_open)


@login_required
@require_POST
def question_open(request, code, number):
    return _question_action(request, code, number, True)


@login_required
@require_POST
def question_close(request, code, number):
    return _question_action(request, code, number, False)


def _flag(request) -> bool:
    return request.POST.get("value", "1") not in {"0", "false", "off", ""}


def _act(request, code, service, /, **kwargs):
    """One facilitator action (a function of seminar.services) on the session with this code,
    answered as every console action is: 204 for htmx (the change comes back on the stream),
    the refusal said."""
    session = _own_session(request, code)
    try:
        service(session=session, by=request.user, **kwargs)
    except SessionError as error:
        return _refused(request, session, error)
    return _done(request, session)


def _moderate(request, action, **kwargs):
    """One moderation action, by a facilitator or a moderator link (`moderator_required` says
    which), answered as `_act` answers; a moderator's plain form goes back to its screen."""
    session, by = request.moderating
    back = "seminar:moderate" if isinstance(by, ModeratorLink) else "seminar:console"
    try:
        action(session=session, by=by, **kwargs)
    except SessionError as error:
        return _refused(request, session, error, back)
    return _done(request, session, back)


# Moderation: the session's facilitators and its moderators (views/moderate.py).


@moderator_required(["POST"])
def answer_hide(request, code, pk):
    return _moderate(request, services.answer_set_hidden, answer_id=pk, hidden=_flag(request))


@moderator_required(["POST"])
def answer_pin(request, code, pk):
    return _moderate(request, services.answer_set_pinned, answer_id=pk, pinned=_flag(request))


@moderator_required(["POST"])
def answer_review(request, code, pk):
    return _moderate(request, services.answer_review, answer_id=pk, approve=_flag(request))


@moderator_required(["POST"])
def answers_review_all(request, code, number):
    return _moderate(request, services.answers_review_all, number=number, approve=_flag(request))


@moderator_required(["POST"])
def answer_discussed(request, code, pk):
    return _moderate(request, services.answer_set_discussed, answer_id=pk, discussed=_flag(request))


@moderator_required(["POST"])
def answer_spotlight(request, code, pk):
    return _moderate(request, services.answer_spotlight, answer_id=pk)


@moderator_required(["POST"])
def spotlight_end(request, code):
    return _moderate(request, services.spotlight_end)


@login_required
@require_POST
def moderator_link_create(request, code):
    """A new moderator link, shown (URL and QR code) to whoever made it and to nobody else:
    for htmx into the console's Moderators panel, else on a page of its own."""
    session = _own_session(request, code)
    try:
        _, token = services.moderator_link_create(session=session, by=request.user)
    except SessionError as error:
        return _refused(request, session, error)
    path = reverse("seminar:moderator_claim", args=[token])
    url = settings.SITE_URL + path if settings.SITE_URL else request.build_absolute_uri(path)
    context = {"session": session, "url": url, "qr": qr_svg(url)}
    template = "seminar/moderator_link.html"
    return render(request, template + "#new-link" if request.htmx else template, context)


@login_required
@require_POST
def moderator_link_revoke(request, code, pk):
    return _act(request, code, services.moderator_link_revoke, link_id=pk)


@login_required
@require_POST
def session_settings(request, code):
    session = _own_session(request, code)
    order = request.POST.get("board_order")
    names = request.POST.get("names_hidden")
    answer_first = request.POST.get("answer_first")
    theme = request.POST.get("board_theme")
    approve_first = request.POST.get("approve_first")
    try:
        services.session_update_settings(
            session=session,
            by=request.user,
            board_order=order or None,
            board_theme=theme or None,
            names_hidden=None if names is None else names == "1",
            answer_first=None if answer_first is None else answer_first == "1",
            approve_first=None if approve_first is None else approve_first == "1",
        )
    except SessionError as error:
        return _refused(request, session, error)
    return _done(request, session)


@login_required
@require_POST
def session_share(request, code):
    """Add (or, with remove=1, take away) a co-facilitator by username."""
    session = _own_session(request, code)
    try:
        services.session_share(
            session=session,
            by=request.user,
            username=request.POST.get("username", ""),
            shared=request.POST.get("remove") != "1",
        )
    except SessionError as error:
        return _refused(request, session, error)
    return _done(request, session)


@login_required
@require_POST
def board_turn(request, code):
    direction = request.POST.get("direction", "")
    return _act(request, code, services.board_turn, direction=direction)


# Rounds: a question run as think, pair, share, lock.


@login_required
@require_POST
def round_phase(request, code, number):
    return _act(
        request,
        code,
        services.round_phase,
        number=number,
        phase=request.POST.get("phase", ""),
        seconds=request.POST.get("seconds") or None,
        advances=request.POST.get("advances") == "1",
    )


@login_required
@require_POST
def round_timer(request, code, number):
    action = request.POST.get("action", "")
    return _act(request, code, services.round_timer, number=number, action=action)


@login_required
@require_POST
def seats_assign(request, code, number):
    size = request.POST.get("size", "")
    return _act(request, code, services.seats_assign, number=number, size=size)


@login_required
@require_POST
def tables_open(request, code, number):
    count = request.POST.get("count", "")
    return _act(request, code, services.tables_open, number=number, count=count)


@login_required
@require_POST
def question_board_view(request, code, number):
    """The board shows this question as its answers or as a word cloud (facilitators only,
    like the steps: the moderator's phone has no say over what the room looks at)."""
    view = request.POST.get("view", "")
    return _act(request, code, services.question_set_board_view, number=number, view=view)


@login_required
@require_http_methods(["GET", "POST"])
def session_end(request, code):
    """End the session. Without a confirmed POST, ask first (works without JavaScript)."""
    session = _own_session(request, code)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        services.session_end(session=session, by=request.user)
        if request.htmx:
            return _done(request, session)  # every console shows the ended state from the stream
        messages.success(request, "The session has ended. Nobody can join or post any more.")
        return redirect("seminar:console", code=session.code)
    return render(request, "seminar/session_end.html", {"session": session})
