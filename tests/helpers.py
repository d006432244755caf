"""Test helpers shared by several test files."""

import threading
import uuid

from django.db import connection


class Broadcasts(list):
    """Every message published to a session's stream, in order (see seminar/screens.py)."""

    @property
    def changes(self) -> list[dict]:
        """The stream's changes, each with its version (not the refreshes of panels after
        them, which move no version)."""
        return [m for m in self.frames if not m.get("refresh")]

    @property
    def frames(self) -> list[dict]:
        """Everything rendered for screens: the changes and the refreshes of their panels."""
        return [m for m in self if m.get("type") == "change"]

    def html_to(self, audience: str) -> str:
        """Everything sent for `audience` (e.g. "board", "readers-3"), in order."""
        return "".join(
            html for m in self.frames for a, html in m["parts"] if audience in _members(a)
        )

    @property
    def audiences(self) -> set[str]:
        return {member for m in self.frames for a, _ in m["parts"] for member in _members(a)}

    @property
    def versions(self) -> list[int]:
        return [m["version"] for m in self.changes]


def _members(audience) -> list[str]:
    """A part's audiences: one, or a list of students sharing it."""
    return [audience] if isinstance(audience, str) else list(audience)


def at_once(*calls, timeout: float = 30):
    """Run each call in its own thread, released together; returns each result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except BaseException as error:  # noqa: BLE001 - reported to the test
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), "a request hung"
    return results


def as_student(participant):
    """A browser that joined as `participant`, answering errors as a server would."""
    from django.test import Client

    from seminar import identity

    client = Client(raise_request_exception=False)
    django_session = client.session
    identity.remember(django_session, participant)
    django_session.save()
    return client


def grow_class(session, *, students: int, answers: int, attended: bool = False) -> None:
    """Bring the class to `students` and question 1 to `answers` answers, in bulk (students
    named "Poster…" are left to post themselves). `attended`: every student was here while
    each open question was open."""
    from seminar.models import Answer, Attendance, Participant, QuestionState

    have = session.participants.count()
    Participant.objects.bulk_create(
        Participant(session=session, name=f"Student {i}") for i in range(have, students)
    )
    if attended:
        states = list(QuestionState.objects.filter(session=session, is_open=True))
        Attendance.objects.bulk_create(
            (
                Attendance(state=s, participant=p)
                for s in states
                for p in session.participants.all()
            ),
            ignore_conflicts=True,
        )
    question = session.guide.questions.get(number=1)
    writers = list(
        session.participants.exclude(answers__question=question)
        .exclude(name__startswith="Poster")
        .order_by("pk")[: max(0, answers - question.answers.count())]
    )
    Answer.objects.bulk_create(
        Answer(
            session=session,
            question=question,
            participant=p,
            text=f"Answer of {p.name}: read the diff before you trust it",
            client_token=uuid.uuid4(),
        )
        for p in writers
    )
