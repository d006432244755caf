"""The student's room: the current step, the open questions, their answer, classmates' answers.

Every form works as a plain POST (redirect back to the room) and, with htmx, as a partial swap
with the error shown inline and the student's text kept in the box.
"""

import uuid
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from seminar import identity, ratelimit, selectors, services, snapshots
from seminar.errors import SessionError
from seminar.forms import AnswerForm


def _room(request, code):
    """(session, participant) for this browser, or a redirect to the join form."""
    session = selectors.session_by_code(code)
    if session is None:
        raise Http404("No session has this code.")
    participant = identity.participant_for(request.session, session)
    return session, participant


def _render_room(request, session, participant, *, status=200, form_errors=None):
    ctx = snapshots.room_context(session, participant)
    for q in ctx["questions"]:
        failed = (form_errors or {}).get(q["state"].question.number)
        if failed:
            # Show the form again with the student's text, for an edit if they had answered.
            q.update(failed, editing=q["mine"] is not None)
    return render(request, "seminar/room.html", ctx, status=status)


def participant_view(view):
    """For a joined student only: passes (session, participant); others get a 403 message."""

    @wraps(view)
    def wrapper(request, code, *args, **kwargs):
        session, participant = _room(request, code)
        if participant is None:
            return HttpResponse("Join the session first.", status=403, content_type="text/plain")
        return view(request, session, participant, *args, **kwargs)

    return wrapper


@require_GET
def room(request, code):
    session, participant = _room(request, code)
    if participant is None:
        return redirect("seminar:join_link", code=session.code)
    return _render_room(request, session, participant)


@require_GET
@participant_view
def room_state(request, session, participant):
    """The snapshot a socket gets, over plain HTTP: what this student's screen should show."""
    html, _ = snapshots.for_participant(session, participant)
    return HttpResponse(html)


def _mine_response(
    request,
    session,
    participant,
    number,
    *,
    error=None,
    text="",
    token=None,
    status=200,
    reveal=False,
):
    """The "your answer" box for one question (the form, or the posted answer). With `reveal`,
    the classmates' answers come along: answer-first has just lifted for this student."""
    ctx = snapshots.room_context(session, participant, question_number=number, with_answers=reveal)
    q = next(iter(ctx["questions"]), None)
    if q is None:
        raise Http404("No such question.")
    ctx.update(q)
    ctx.update(
        error=error,
        draft=text,
        token=token or uuid.uuid4(),
        editing=error is not None and q["mine"] is not None,
    )
    html = render_to_string("seminar/room.html#mine", ctx, request=request)
    if error is None:
        html += render_to_string(
            "seminar/fragments.html#question-state", {**ctx, "oob": True}, request=request
        )
    if reveal:
        html += render_to_string("seminar/room.html#answers", {**ctx, "oob": True}, request=request)
    return HttpResponse(html, status=status)


def _answered(request, session, participant, number, *, reveal=False):
    """After a successful post, edit or delete: the new box (htmx) or back to the question."""
    if request.htmx:
        session.refresh_from_db()
        return _mine_response(request, session, participant, number, reveal=reveal)
    return redirect(f"{session.get_absolute_url()}#q-{number}")


def _refused(request, session, participant, number, error, text, token):
    """The form again with the message and the student's text, with the error's status."""
    if number is None:
        return HttpResponse(error.message, status=error.status, content_type="text/plain")
    if request.htmx:
        return _mine_response(
            request,
            session,
            participant,
            number,
            error=error.message,
            text=text,
            token=token,
            status=error.status,
        )
    return _render_room(
        request,
        session,
        participant,
        status=error.status,
        form_errors={number: {"error": error.message, "draft": text, "token": token}},
    )


def _limit_posts(participant):
    ratelimit.check(
        "post",
        str(participant.pk),
        limit=settings.SEMINAR_POST_RATE,
        message="You are posting very fast. Please wait a moment and try again.",
    )


def _answer_form(request) -> tuple[str, uuid.UUID]:
    form = AnswerForm(request.POST)
    form.is_valid()
    return form.cleaned_data.get("text") or "", form.cleaned_data.get(
        "client_token"
    ) or uuid.uuid4()


@require_POST
@participant_view
def answer_post(request, session, participant, number):
    text, token = _answer_form(request)
    try:
        _limit_posts(participant)
        services.answer_post(participant=participant, number=number, text=text, client_token=token)
    except SessionError as error:
        return _refused(request, session, participant, number, error, text, token)
    # Without answer-first this student already reads the list; with it, it opens now.
    return _answered(request, session, participant, number, reveal=session.answer_first)


@require_POST
@participant_view
def answer_edit(request, session, participant, pk):
    text, _ = _answer_form(request)
    answer = participant.answers.select_related("question").filter(pk=pk).first()
    number = answer.question.number if answer else None
    try:
        _limit_posts(participant)
        services.answer_edit(participant=participant, answer_id=pk, text=text)
    except SessionError as error:
        return _refused(request, session, participant, number, error, text, None)
    return _answered(request, session, participant, number)


@require_POST
@participant_view
def answer_delete(request, session, participant, pk):
    try:
        question = services.answer_delete(participant=participant, answer_id=pk)
    except SessionError as error:
        return _refused(request, session, participant, None, error, "", None)
    return _answered(request, session, participant, question.number)


@require_POST
@participant_view
def answer_vote(request, session, participant, pk):
    try:
        ratelimit.check(
            "vote",
            str(participant.pk),
            limit=settings.SEMINAR_POST_RATE * 4,
            message="You are voting very fast. Please wait a moment.",
        )
        voted = services.vote_toggle(participant=participant, answer_id=pk)
        error = None
    except SessionError as refused:
        error = refused
    answer = selectors.answer_with_votes(pk)
    if not request.htmx or answer is None or answer.session_id != session.pk or answer.hidden:
        if error:
            return HttpResponse(error.message, status=error.status, content_type="text/plain")
        return redirect(session.get_absolute_url())
    if error:
        voted = pk in selectors.voted_answer_ids(participant)
    ctx = {"answer": answer, "session": session, "voted": voted, "error": error and error.message}
    html = render_to_string("seminar/fragments.html#vote-button", ctx, request=request)
    if not error:
        html += render_to_string(
            "seminar/fragments.html#votes", {**ctx, "oob": True}, request=request
        )
    return HttpResponse(html, status=error.status if error else 200)
