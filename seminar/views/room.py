"""The student's room: the current step, the open questions, their answer, classmates' answers.

Every form works as a plain POST (redirect back to the room) and, with htmx, as a partial swap
with the error shown inline and the student's text kept in the box.
"""

import uuid
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from seminar import identity, ratelimit, screens, selectors, services
from seminar.errors import SessionError
from seminar.forms import AnswerForm, ReplyForm
from seminar.models import Answer


def _room(request, code):
    """(session, participant) for this browser; participant None if it has not joined."""
    client = ratelimit.client_address(request)
    if not selectors.codes_refused(client):
        participant = identity.participant_by_code(request.session, code)
        if participant is not None:
            return participant.session, participant
    session = selectors.session_for_client(code, client)
    if session is None:
        raise Http404("No session has this code.")
    participant = identity.participant_for(request.session, session)
    return session, participant


def _render_room(request, session, participant, *, status=200, failed=None):
    st = screens.State(session, request)
    regions = screens.room(st, participant, failed=failed)
    ctx = {"session": session, "participant": participant, "regions": regions}
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
    snapshot = screens.snapshot(screens.State(session), "participant", participant)
    return HttpResponse(snapshot["html"])


def _mine(request, session, participant, number, *, status=200, **box):
    """The student's own answer box for question `number`: the only thing an answer's response
    carries. Everything shared (the list, counts, the gate) comes through the ordered stream,
    so a slow response can never overwrite newer state."""
    session.refresh_from_db()
    question = session.guide.questions.filter(number=number).first()
    if question is None:
        raise Http404("No such question.")
    student = screens.Student(participant)
    st = screens.State(session, request)
    if box:
        html = student.box(st, question, editing=question.pk in student.answers, **box)
    else:
        html = student.box(st, question)
    return HttpResponse(html, status=status)


def _answered(request, session, participant, number):
    """After a successful post, edit or delete: the new box (htmx) or back to the question."""
    if request.htmx:
        return _mine(request, session, participant, number)
    return redirect(f"{session.get_absolute_url()}#q-{number}")


def _refused(request, session, participant, number, error, text, token, *, reply=None):
    """The form again with the message and the student's text, with the error's status
    (`reply`: the id of the student's reply whose edit was refused: its own form)."""
    if number is None:
        return HttpResponse(error.message, status=error.status, content_type="text/plain")
    if reply is not None:
        box = {"reply_error": {"pk": reply, "error": error.message, "draft": text}}
    else:
        box = {"error": error.message, "draft": text, "token": token}
    if request.htmx:
        return _mine(request, session, participant, number, status=error.status, **box)
    return _render_room(request, session, participant, status=error.status, failed={number: box})


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
        answer, _ = services.answer_post(
            participant=participant, number=number, text=text, client_token=token
        )
    except SessionError as error:
        return _refused(request, session, participant, number, error, text, token)
    if request.htmx and answer.question.number == number:
        # The box from what the post itself read, and the student's replies: one query more
        # on the busiest path.
        replies = (
            participant.answers.filter(question=answer.question, reply_to__isnull=False)
            .select_related("reply_to")
            .order_by("created_at", "pk")
        )
        student = screens.Student(participant, answers=[answer, *replies], voted=set())
        return HttpResponse(student.box(screens.State(session, request), answer.question))
    return _answered(request, session, participant, number)


@require_POST
@participant_view
def answer_edit(request, session, participant, pk):
    text, _ = _answer_form(request)
    answer = participant.answers.select_related("question").filter(pk=pk).first()
    number = answer.question.number if answer else None
    reply = pk if answer and answer.is_reply else None
    try:
        _limit_posts(participant)
        services.answer_edit(participant=participant, answer_id=pk, text=text)
    except SessionError as error:
        return _refused(request, session, participant, number, error, text, None, reply=reply)
    return _answered(request, session, participant, number)


@require_POST
@participant_view
def answer_delete(request, session, participant, pk):
    """Delete one's answer or reply; refused, its form shows why, with its text."""
    answer = participant.answers.select_related("question").filter(pk=pk).first()
    try:
        question = services.answer_delete(participant=participant, answer_id=pk)
    except SessionError as error:
        if answer is None:
            return _refused(request, session, participant, None, error, "", None)
        number, reply = answer.question.number, (pk if answer.is_reply else None)
        return _refused(
            request, session, participant, number, error, answer.text, None, reply=reply
        )
    return _answered(request, session, participant, question.number)


@require_http_methods(["GET", "POST"])
@participant_view
def reply_post(request, session, participant, pk):
    """Reply to a classmate's answer. The reply shows through the ordered stream (in the
    answer's thread, and in the student's own box); the response only says it went, or why
    not, in the reply form, whose text stays as typed. GET: the form itself (`reply_form`)."""
    if request.method == "GET":
        return reply_form(request, session, participant, pk)
    form = ReplyForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    text = data.get("text") or ""
    try:
        _limit_posts(participant)
        reply, _ = services.reply_post(
            participant=participant,
            answer_id=pk,
            move=data.get("move") or "",
            text=text,
            client_token=data.get("client_token"),
        )
    except SessionError as error:
        if request.htmx:
            return HttpResponse(error.message, status=error.status, content_type="text/plain")
        ctx = {"session": session, "error": error.message, "draft": text, "answer_id": pk}
        ctx |= {"move": data.get("move") or "", "moves": Answer.Move.choices}
        return render(request, "seminar/reply.html", ctx, status=error.status)
    if request.htmx:
        said = (
            "Sent. It waits for review, then shows under the answer."
            if reply.pending
            else "Posted under the answer."
        )
        return HttpResponse(said, content_type="text/plain")
    return redirect(f"{session.get_absolute_url()}#answer-{pk}")


@require_POST
@participant_view
def answer_vote(request, session, participant, pk):
    """Upvote (value=1) or take the vote back (value=0). The new count and the pressed button
    arrive through the stream, on every tab of this student; the response only confirms."""
    try:
        ratelimit.check(
            "vote",
            str(participant.pk),
            limit=settings.SEMINAR_POST_RATE * 4,
            message="You are voting very fast. Please wait a moment.",
        )
        services.vote_set(
            participant=participant, answer_id=pk, voted=request.POST.get("value", "1") != "0"
        )
    except SessionError as error:
        return HttpResponse(error.message, status=error.status, content_type="text/plain")
    if request.htmx:
        return HttpResponse(status=204)
    return redirect(session.get_absolute_url())


@require_POST
@participant_view
def seat_choose(request, session, participant, number):
    """A student picks their table for a round's Pair phase; their table's answers come
    through the stream."""
    try:
        services.seat_choose(
            participant=participant, number=number, table=request.POST.get("table")
        )
    except SessionError as error:
        return HttpResponse(error.message, status=error.status, content_type="text/plain")
    if request.htmx:
        return HttpResponse(status=204)
    return redirect(f"{session.get_absolute_url()}#q-{number}")


def reply_form(request, session, participant, pk):
    """The reply form of answer `pk`, for a student who may reply to it now: what the Reply
    fold fetches when it first opens (htmx), or, without JavaScript, a page of its own that
    quotes the answer. Otherwise the reason, with its status."""
    try:
        answer = services.reply_target(participant=participant, answer_id=pk)
    except SessionError as error:
        return HttpResponse(error.message, status=error.status, content_type="text/plain")
    if request.htmx:
        st = screens.State(session, request)
        return HttpResponse(st.render("seminar/fragments.html#reply-form", answer=answer))
    ctx = {"session": session, "answer": answer, "answer_id": pk, "moves": Answer.Move.choices}
    return render(request, "seminar/reply.html", ctx)
