"""Read a study guide written as plain text or Markdown into plain data. No database here.

The shape, as in guide/data/dangerous-illusion-of-ai-coding.txt:

    Title - Speaker             (or "# Title - Speaker"; the speaker is optional)
    Study Guide                 (optional)
    Overview                    (or "## Overview") then paragraphs
    Key Themes                  then "1. Title" (or "### Title") and body paragraphs
    Key Quotes                  then bullets: • "Quote text" (Attribution)
    Key People and References   then bullets: • Name — description
    Discussion Questions        then a numbered list
    Source label                (optional: a short stray line at the very end, e.g. "YouTube")

Bullets may be "•", "-" or "*"; a person and a description may be split by an em dash, an en
dash or " - ". Sections may come in any order; a guide needs a title, at least one theme and
at least one question. Themes and questions are numbered by their order in the file (the
numbers as written are not checked, so Markdown's "1. 1. 1." lists work).

`parse_guide` raises `GuideFormatError` (and nothing else) for anything it cannot read.
"""

import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

# The longest text the Guide models keep in a CharField.
MAX_LABEL_LENGTH = 300


class GuideFormatError(Exception):
    """A guide that cannot be imported; `str()` reads like a compiler error: file:line: message."""

    def __init__(
        self,
        message: str,
        line: int | None = None,
        *,
        filename: str = "guide.txt",
        code: str = "invalid",
    ):
        super().__init__(message)
        self.message = message
        self.line = line
        self.filename = filename
        self.code = code

    def __str__(self):
        where = self.filename if self.line is None else f"{self.filename}:{self.line}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ParsedTheme:
    number: int
    title: str
    body: str


@dataclass(frozen=True)
class ParsedQuote:
    text: str
    attribution: str = ""


@dataclass(frozen=True)
class ParsedReference:
    name: str
    description: str = ""


@dataclass(frozen=True)
class ParsedQuestion:
    number: int
    text: str


@dataclass(frozen=True)
class ParsedGuide:
    title: str
    subtitle: str
    overview: str
    source_label: str
    themes: tuple[ParsedTheme, ...]
    quotes: tuple[ParsedQuote, ...]
    references: tuple[ParsedReference, ...]
    questions: tuple[ParsedQuestion, ...]


# --- Bytes -----------------------------------------------------------------------------------


def decode_guide_bytes(data: bytes, filename: str = "guide.txt") -> str:
    """The text of an uploaded or read file; refuses anything that is not UTF-8 (or UTF-16
    with a byte-order mark, which is what Windows Notepad calls "Unicode") text."""
    not_text = "the file is not a UTF-8 text file; save the guide as plain text or Markdown"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise GuideFormatError(not_text, filename=filename, code="not_text") from None
    if b"\x00" in data:
        raise GuideFormatError(not_text, filename=filename, code="not_text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise GuideFormatError(not_text, line, filename=filename, code="not_text") from None


# --- Lines -----------------------------------------------------------------------------------


class _Problem(Exception):
    """Raised inside the parser; parse_guide adds the file name."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


class Line(NamedTuple):
    number: int  # 1-based, as an editor shows it
    text: str  # without indentation or trailing spaces
    indent: int


_SECTIONS = {
    "overview": "overview",
    "summary": "overview",
    "key themes": "themes",
    "themes": "themes",
    "key quotes": "quotes",
    "quotes": "quotes",
    "key people and references": "references",
    "key people": "references",
    "people and references": "references",
    "references": "references",
    "discussion questions": "questions",
    "questions": "questions",
}
_SECTION_NAMES = {
    "overview": "Overview",
    "themes": "Key Themes",
    "quotes": "Key Quotes",
    "references": "Key People and References",
    "questions": "Discussion Questions",
}

_HEADING = re.compile(r"#{1,6}(?=\s|$)")
_NUMBERED = re.compile(r"([0-9]{1,4})[.)]\s+(\S.*)")
_BULLET = re.compile(r"[•●▪◦‣∙*+\-–—]\s+(\S.*)")
_RULE = re.compile(r"([-*_])(?:\s*\1){2,}")
_SENTENCE_END = re.compile(r"""[.?!…]["'”’»)\]]*$""")
# "Title - Speaker": the last spaced dash splits them.
_TITLE_SPEAKER = re.compile(r"(.+)\s+[-–—]\s+(\S.*?)")
# "Name — description": the first dash splits them (an unspaced em dash also counts).
_NAME_SEPARATOR = re.compile(r"\s+(?:[-–—]{1,2})\s+|\s*—\s*")
_OPEN_QUOTES = '"“„«'
_CLOSE_QUOTES = '"”“»'
_QUOTED = re.compile(rf"[{_OPEN_QUOTES}](.*)[{_CLOSE_QUOTES}]")
_QUOTED_PAREN_SOURCE = re.compile(rf"[{_OPEN_QUOTES}](.*)[{_CLOSE_QUOTES}]\s*\(([^()]*)\)")
_QUOTED_DASH_SOURCE = re.compile(rf"[{_OPEN_QUOTES}](.*)[{_CLOSE_QUOTES}]\s*(?:[–—]|--?)\s*(.+)")
# "…team?YouTube": a label glued onto the last question with no newline.
_GLUED_LABEL = re.compile(r"(.*\?)([A-Z][^?\s]*(?: [^?\s]+){0,5})")
# Text the database cannot store, or that means this is not really text.
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ud800-\udfff]")


def _split_lines(text: str) -> list[Line]:
    text = text.removeprefix("\ufeff")
    lines = []
    for number, raw in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        raw = raw.replace("\f", "").replace("\t", "    ").rstrip()
        bad = _UNSTORABLE.search(raw)
        if bad:
            name = unicodedata.name(bad.group(), f"U+{ord(bad.group()):04X}")
            raise _Problem(f"unexpected control character ({name}); is this a text file?", number)
        stripped = raw.lstrip()
        lines.append(Line(number, stripped, len(raw) - len(stripped)))
    return lines


def _unwrap_emphasis(text: str) -> str:
    """'**Name**' -> 'Name': Markdown emphasis around a whole title or name."""
    for mark in ("**", "__", "*", "_"):
        if len(text) > 2 * len(mark) and text.startswith(mark) and text.endswith(mark):
            return text[len(mark) : -len(mark)].strip()
    return text


def _heading(line: Line) -> tuple[int, str] | None:
    """(level, text) for a Markdown heading like '## Key Themes', else None."""
    match = _HEADING.match(line.text)
    if not match:
        return None
    return len(match.group()), _unwrap_emphasis(
        line.text[match.end() :].strip().rstrip("#").strip()
    )


def _section_kind(line: Line) -> str | None:
    """Which section a heading line starts ('themes', ...), with or without Markdown '#'."""
    heading = _heading(line)
    text = heading[1] if heading else _unwrap_emphasis(line.text)
    key = " ".join(text.rstrip(":").replace("&", "and").casefold().split())
    return _SECTIONS.get(key)


def _checked_label(text: str, what: str, line: int) -> str:
    if not text:
        raise _Problem(f"the {what} is empty", line)
    if len(text) > MAX_LABEL_LENGTH:
        raise _Problem(f"the {what} is longer than {MAX_LABEL_LENGTH} characters", line)
    return text


def _paragraphs(lines: list[Line]) -> str:
    """Wrapped lines joined with spaces; paragraphs separated by a blank line."""
    paragraphs, current = [], []
    for line in lines:
        if line.text and not _RULE.fullmatch(line.text):
            current.append(line.text)
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


# --- Title and sections ----------------------------------------------------------------------


@dataclass
class _Section:
    kind: str
    heading: Line
    lines: list[Line]


def _read_title(line: Line) -> tuple[str, str]:
    if _section_kind(line):
        raise _Problem(
            'the guide has no title: its first line should be the title, like "Title - Speaker"',
            line.number,
        )
    heading = _heading(line)
    text = heading[1] if heading else _unwrap_emphasis(line.text)
    match = _TITLE_SPEAKER.fullmatch(text)
    title, subtitle = (match.group(1).strip(), match.group(2)) if match else (text, "")
    title = _checked_label(title, "title", line.number)
    return title, _checked_label(subtitle, "subtitle", line.number) if subtitle else ""


def _split_sections(lines: list[Line]) -> tuple[str, str, list[_Section]]:
    """The title, the subtitle and the sections in file order."""
    content = [line for line in lines if line.text]
    if not content:
        raise _Problem("the file is empty")
    title, subtitle = _read_title(content[0])
    sections: list[_Section] = []
    seen: dict[str, Line] = {}
    for line in lines[content[0].number :]:
        kind = _section_kind(line) if line.text else None
        if kind:
            if kind in seen:
                raise _Problem(
                    f'the "{_SECTION_NAMES[kind]}" section appears twice '
                    f"(first on line {seen[kind].number})",
                    line.number,
                )
            seen[kind] = line
            sections.append(_Section(kind, line, []))
        elif sections:
            _check_heading_belongs(line, sections[-1].kind)
            sections[-1].lines.append(line)
        elif line.text and not _RULE.fullmatch(line.text):
            subtitle = _preamble_line(line, subtitle)
    return title, subtitle, sections


def _check_heading_belongs(line: Line, kind: str) -> None:
    """Markdown headings are section names, or a theme's title inside Key Themes."""
    heading = _heading(line)
    if heading and not (kind == "themes" and heading[0] >= 3):
        expected = ", ".join(f'"{name}"' for name in _SECTION_NAMES.values())
        raise _Problem(f'unknown section "{heading[1]}"; expected one of {expected}', line.number)


def _preamble_line(line: Line, subtitle: str) -> str:
    """Between the title and the first section: "Study Guide", or the speaker."""
    heading = _heading(line)
    text = heading[1] if heading else _unwrap_emphasis(line.text)
    if text.casefold() == "study guide":
        return subtitle
    if not subtitle and not heading:
        return _checked_label(text, "subtitle", line.number)
    raise _Problem('expected a section heading such as "Overview" or "Key Themes"', line.number)


# --- Sections --------------------------------------------------------------------------------


def _parse_themes(section: _Section) -> list[ParsedTheme]:
    """'1. Title' (or '### Title') lines, each followed by its body paragraphs."""
    # With Markdown sub-headings, a numbered line is a list inside a theme's body.
    by_heading = any(_heading(line) for line in section.lines)
    themes: list[tuple[Line, str, list[Line]]] = []
    for line in section.lines:
        title = _theme_title(line, by_heading)
        if title is not None:
            themes.append((line, title, []))
        elif themes:
            themes[-1][2].append(line)
        elif line.text:
            raise _Problem('expected a numbered theme like "1. Title"', line.number)
    return [
        ParsedTheme(n, _checked_label(title, "theme title", line.number), _paragraphs(body))
        for n, (line, title, body) in enumerate(themes, start=1)
    ]


def _theme_title(line: Line, by_heading: bool) -> str | None:
    if by_heading:
        heading = _heading(line)
        if not heading:
            return None
        numbered = _NUMBERED.fullmatch(heading[1])
        return _unwrap_emphasis(numbered.group(2)) if numbered else heading[1]
    numbered = _NUMBERED.fullmatch(line.text)
    return _unwrap_emphasis(numbered.group(2).strip()) if numbered else None


@dataclass
class _Item:
    line: Line
    parts: list[str]
    # Lines after a finished item that may be a stray label rather than more of it.
    loose: list[Line]

    @property
    def text(self) -> str:
        return " ".join(self.parts + [line.text for line in self.loose])


def _list_items(section: _Section, expected: str) -> list[_Item]:
    """Bullets or numbered items; an unmarked line continues the item above it."""
    items: list[_Item] = []
    blank_before = False
    for line in section.lines:
        if not line.text or _RULE.fullmatch(line.text):
            blank_before = True
            continue
        marked = _BULLET.fullmatch(line.text) or _NUMBERED.fullmatch(line.text)
        if marked:
            items.append(_Item(line, [marked.groups()[-1].strip()], []))
        elif not items:
            raise _Problem(expected, line.number)
        else:
            _continue_item(items[-1], line, blank_before)
        blank_before = False
    return items


def _continue_item(item: _Item, line: Line, blank_before: bool) -> None:
    """An indented line, or one that finishes a wrapped sentence, is part of the item; any
    other line is kept aside in case it turns out to be the guide's trailing source label."""
    finished = bool(_SENTENCE_END.search(item.text))
    if item.loose or (finished and (blank_before or not line.indent)):
        item.loose.append(line)
    else:
        item.parts.append(line.text)


def _take_source_label(items: list[_Item], is_last_section: bool) -> str:
    """The short stray text after the last item of the file, if any (e.g. "YouTube")."""
    for item in items[:-1]:
        _absorb_loose(item)
    if not items:
        return ""
    last = items[-1]
    label = " ".join(line.text for line in last.loose)
    if is_last_section and label and len(label) <= MAX_LABEL_LENGTH and "?" not in label:
        last.loose = []
        return label
    _absorb_loose(last)
    return ""


def _absorb_loose(item: _Item) -> None:
    item.parts.extend(line.text for line in item.loose)
    item.loose = []


def _parse_quote(item: _Item) -> ParsedQuote:
    text = _unwrap_emphasis(item.text)
    for pattern in (_QUOTED_PAREN_SOURCE, _QUOTED_DASH_SOURCE):
        match = pattern.fullmatch(text)
        if match:
            quote, attribution = match.group(1).strip(), match.group(2).strip()
            break
    else:
        quoted = _QUOTED.fullmatch(text)
        quote, attribution = (quoted.group(1).strip() if quoted else text), ""
    if not quote:
        raise _Problem("the quote is empty", item.line.number)
    if len(attribution) > MAX_LABEL_LENGTH:
        raise _Problem(
            f"the quote's attribution is longer than {MAX_LABEL_LENGTH} characters",
            item.line.number,
        )
    return ParsedQuote(quote, attribution)


def _parse_reference(item: _Item) -> ParsedReference:
    split = _NAME_SEPARATOR.split(item.text, maxsplit=1)
    if len(split) == 1 and ": " in item.text:
        split = item.text.split(": ", 1)
    name = _checked_label(_unwrap_emphasis(split[0].strip()), "name", item.line.number)
    return ParsedReference(name, split[1].strip() if len(split) > 1 else "")


def _split_glued_label(text: str) -> tuple[str, str]:
    """'…engineering team?YouTube' -> ('…engineering team?', 'YouTube')."""
    if text.endswith("?"):
        return text, ""
    match = _GLUED_LABEL.fullmatch(text)
    return (match.group(1), match.group(2)) if match else (text, "")


# --- The whole guide -------------------------------------------------------------------------


def parse_guide(text: str, *, filename: str = "guide.txt") -> ParsedGuide:
    """The guide in `text`. Raises GuideFormatError, naming the file and line, if it cannot be
    read: no title, no themes or no questions, text outside any section, and the like."""
    try:
        return _parse(text)
    except _Problem as problem:
        raise GuideFormatError(problem.message, problem.line, filename=filename) from None


def _parse(text: str) -> ParsedGuide:
    title, subtitle, sections = _split_sections(_split_lines(text))
    by_kind = {section.kind: section for section in sections}
    last = sections[-1].kind if sections else None
    source_label = ""

    quotes = references = questions = ()
    if "quotes" in by_kind:
        items = _list_items(by_kind["quotes"], 'expected a quote as a bullet like "• "…""')
        source_label = _take_source_label(items, last == "quotes") or source_label
        quotes = tuple(_parse_quote(item) for item in items)
    if "references" in by_kind:
        items = _list_items(
            by_kind["references"], 'expected a person as a bullet like "• Name — description"'
        )
        source_label = _take_source_label(items, last == "references") or source_label
        references = tuple(_parse_reference(item) for item in items)
    if "questions" in by_kind:
        items = _list_items(by_kind["questions"], 'expected a numbered question like "1. …?"')
        source_label = _take_source_label(items, last == "questions") or source_label
        texts = [item.text for item in items]
        if texts and last == "questions" and not source_label:
            texts[-1], source_label = _split_glued_label(texts[-1])
        questions = tuple(ParsedQuestion(n, text) for n, text in enumerate(texts, start=1))

    themes = tuple(_parse_themes(by_kind["themes"])) if "themes" in by_kind else ()
    _require(themes, "themes", by_kind, 'expected a numbered theme like "1. Title"')
    _require(questions, "questions", by_kind, 'expected a numbered question like "1. …?"')
    overview = _paragraphs(by_kind["overview"].lines) if "overview" in by_kind else ""
    return ParsedGuide(
        title=title,
        subtitle=subtitle,
        overview=overview,
        source_label=source_label,
        themes=themes,
        quotes=quotes,
        references=references,
        questions=questions,
    )


def _require(found, kind: str, by_kind: dict[str, _Section], expected: str) -> None:
    name = _SECTION_NAMES[kind]
    if kind not in by_kind:
        raise _Problem(f'the guide has no "{name}" section')
    if not found:
        raise _Problem(f'the "{name}" section is empty; {expected}', by_kind[kind].heading.number)
