"""The agenda of a session, derived from its guide in this one place.

lobby, overview, each theme, quotes, people and references, each question, wrap-up.
Keys are stable strings ("theme-3", "question-2") used by notes and the step log.
"""

from dataclasses import dataclass, field

from guide.models import Guide


@dataclass(frozen=True)
class Step:
    index: int
    key: str
    kind: str  # lobby | overview | theme | quotes | people | question | wrapup
    title: str
    number: int | None = None
    obj: object = field(default=None, compare=False, repr=False)

    @property
    def label(self):
        if self.kind == "theme":
            return f"Theme {self.number}: {self.title}"
        if self.kind == "question":
            return f"Question {self.number}"
        return self.title


# Steps whose board shows its items a page at a time (static/seminar/board.js).
PAGED_STEPS = frozenset({"question", "quotes", "people"})


def build_agenda(guide: Guide) -> list[Step]:
    """Every step of a session on `guide`, in order. Two queries."""
    items = [("lobby", "Welcome", None, None), ("overview", "Overview", None, None)]
    for theme in guide.themes.all():
        items.append(("theme", theme.title, theme.number, theme))
    if guide.quotes.exists():
        items.append(("quotes", "Key quotes", None, None))
    if guide.references.exists():
        items.append(("people", "Key people and references", None, None))
    for question in guide.questions.all():
        items.append(("question", question.text, question.number, question))
    items.append(("wrapup", "Wrap-up", None, None))
    return [
        Step(
            index=i,
            key=f"{kind}-{number}" if number is not None else kind,
            kind=kind,
            title=title,
            number=number,
            obj=obj,
        )
        for i, (kind, title, number, obj) in enumerate(items)
    ]
