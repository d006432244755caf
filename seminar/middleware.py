"""How the app's answers look to the browser: a refusal is an answer, never a 500, and every
answer says it is the app's own."""

from django.http import HttpResponse

from seminar.errors import SessionError


class SessionErrorMiddleware:
    """Turns a `SessionError` no view caught (e.g. too many wrong join codes, raised while
    looking a session up) into its status with its message, as plain text."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, SessionError):
            return HttpResponse(
                exception.message, status=exception.status, content_type="text/plain; charset=utf-8"
            )
        return None


# live.js swaps an error's body into the page only when it carries this header: a proxy's
# error page (nginx's 502 while a worker restarts, a gateway timeout) never replaces a form
# and the text in it.
OWN_HEADER = "Seminar-App"


class MarkOwnResponsesMiddleware:
    """Marks every response this app makes (outermost, so refusals from any other middleware
    are marked too)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers[OWN_HEADER] = "1"
        return response
