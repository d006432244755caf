"""Test helpers shared by several test files."""

import re

ID_RE = re.compile(r'<(\w+)[^>]*\bid="([^"]+)"')


def ids_in(html: str) -> list[str]:
    """The element ids of top-level-ish fragments in an HTML frame, in order."""
    return [m.group(2) for m in ID_RE.finditer(html)]


class Broadcasts(list):
    """Every message published to a session's stream, in order (see seminar/screens.py)."""

    @property
    def changes(self) -> list[dict]:
        return [m for m in self if m.get("type") == "change"]

    def html_to(self, audience: str) -> str:
        """Everything sent for `audience` (e.g. "board", "readers-3"), in order."""
        return "".join(
            html for m in self.changes for a, html in m["parts"] if a == audience
        )

    @property
    def audiences(self) -> set[str]:
        return {a for m in self.changes for a, _ in m["parts"]}

    @property
    def versions(self) -> list[int]:
        return [m["version"] for m in self.changes]
