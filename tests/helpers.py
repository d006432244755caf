"""Test helpers shared by several test files."""

import threading

from django.db import connection


class Broadcasts(list):
    """Every message published to a session's stream, in order (see seminar/screens.py)."""

    @property
    def changes(self) -> list[dict]:
        return [m for m in self if m.get("type") == "change"]

    def html_to(self, audience: str) -> str:
        """Everything sent for `audience` (e.g. "board", "readers-3"), in order."""
        return "".join(
            html for m in self.changes for a, html in m["parts"] if audience in _members(a)
        )

    @property
    def audiences(self) -> set[str]:
        return {member for m in self.changes for a, _ in m["parts"] for member in _members(a)}

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
