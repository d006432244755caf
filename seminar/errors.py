class SessionError(Exception):
    """A rule of the seminar refused an action. `code` is for programs, the message for people.

    Views answer with the message inline and a 4xx status (see `status`); nothing was written.
    """

    status_by_code = {
        "forbidden": 403,
        "not_found": 404,
        "rate_limited": 429,
        "duplicate": 409,
        "name_taken": 409,
        "nothing_to_page": 409,
        "hidden_answer": 409,
        "spotlit": 409,
        "pending_answer": 409,
        "not_pending": 409,
        "has_replies": 409,
        "question_locked": 409,
        "no_round": 409,
        "no_countdown": 409,
        "not_for_replies": 409,
        "reply_to_reply": 409,
    }

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code

    @property
    def status(self) -> int:
        return self.status_by_code.get(self.code, 400)


class NameTaken(SessionError):
    """A name someone in the session already has (or one that looks just like it).
    `suggestion` is a free name the student can take with one click."""

    def __init__(self, taken: str, suggestion: str):
        super().__init__(
            f"Someone here is already called “{taken}”. Add an initial or a surname so your "
            "classmates can tell you apart, or join with the name suggested below.",
            code="name_taken",
        )
        self.suggestion = suggestion
