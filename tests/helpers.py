"""Test helpers shared by several test files."""

import re

ID_RE = re.compile(r'<(\w+)[^>]*\bid="([^"]+)"')


def ids_in(html: str) -> list[str]:
    """The element ids of top-level-ish fragments in an HTML frame, in order."""
    return [m.group(2) for m in ID_RE.finditer(html)]


class Broadcasts(list):
    """Every (group, event) the live layer sent, in order."""

    def to(self, group: str) -> list[dict]:
        return [event for g, event in self if g == group]

    def html_to(self, group: str) -> str:
        return "".join(event.get("html", "") for event in self.to(group))

    @property
    def groups(self) -> set[str]:
        return {g for g, _ in self}
