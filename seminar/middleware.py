"""A rule of the seminar refusing a request anywhere in a view is an answer, never a 500."""

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
