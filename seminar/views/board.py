"""The projector board. Public to anyone with the code: it shows only what the room may see."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from seminar import ratelimit, screens, selectors
from seminar.views.console import join_url, qr_svg


@require_GET
def board(request, code):
    session = selectors.session_for_client(code, ratelimit.client_address(request))
    if session is None:
        raise Http404("No session has this code.")
    url = join_url(request, session)
    regions = screens.board(screens.State(session, request))
    return render(
        request,
        "seminar/board.html",
        {
            "session": session,
            "regions": regions,
            "join_url": url,
            "join_host": url.split("://", 1)[-1].removesuffix(f"/j/{session.code}"),
            "qr": qr_svg(url),
        },
    )
