"""The study-guide importer: the default guide, its Markdown twin, malformed files, re-imports."""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guide.importer import GuideFormatError, ParsedGuide, decode_guide_bytes, parse_guide
from guide.models import Guide, Question, Quote, Reference, Theme
from guide.services import guide_import
from seminar.models import Session

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_GUIDE = ROOT / "guide" / "data" / "dangerous-illusion-of-ai-coding.txt"
MARKDOWN_GUIDE = ROOT / "tests" / "data" / "dangerous-illusion.md"

THEME_TITLES = [
    "The Origins of Transfer Learning (ULMFiT)",
    "Hierarchies of Abstraction in Language Models",
    "LLM Creativity: Cosplaying Intelligence",
    "Coding vs. Software Engineering",
    "The Gambling Psychology of AI Coding",
    "Knowledge Erosion and Organizational Risk",
    "The iPyKernel Experiment",
    "Interactive Exploratory Programming",
    "AI Existential Risk and Power Centralization",
]
PEOPLE = {
    "Jeremy Howard": "Deep learning pioneer, fast.ai co-founder, creator of ULMFiT",
    "Rachel Thomas": "fast.ai co-founder, author of the gambling analogy for AI coding",
    "Chris Lattner": "Creator of LLVM and Clang, cited on the AI-generated C compiler",
    "Fred Brooks": 'Author of "No Silver Bullet" on software engineering',
    "Bret Victor": "Researcher and designer advocating direct manipulation in computing",
    "Cesar Hidalgo": 'Author of "The Laws of Knowledge," on knowledge as non-fungible',
    "Margaret Boden": (
        "AI philosopher, hierarchy of creativity (combinatorial, exploratory, transformative)"
    ),
    "Francois Chollet": "Creator of Keras, cited on shared cognitive models in teams",
    "Stephen Merity": "Developed the AWD-LSTM regularization approach used in ULMFiT",
    "John Ousterhout": 'Stanford professor, "slope vs. intercept" philosophy',
}
LAST_QUESTION = (
    "Howard advocates for interactive exploratory programming over terminal-based workflows. "
    "What are the trade-offs of adopting notebook-first development in a production "
    "engineering team?"
)

SMALL_GUIDE = """\
A Small Guide - Someone

Overview
What it is about.

Key Themes
1. Origins
Where it started.

Key Quotes
• "A first quote." (Someone)

Key People and References
• Fred Brooks — No Silver Bullet

Discussion Questions
1. What now?
"""


def default_text() -> str:
    return DEFAULT_GUIDE.read_text(encoding="utf-8")


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Guide, Theme, Quote, Reference, Question))


@pytest.fixture
def default_guide() -> ParsedGuide:
    return parse_guide(default_text(), filename=DEFAULT_GUIDE.name)


# --- The default guide -------------------------------------------------------------------------


def test_default_guide_title_overview_and_source(default_guide):
    assert default_guide.title == "The Dangerous Illusion of AI Coding?"
    assert default_guide.subtitle == "Jeremy Howard"
    assert default_guide.overview.startswith(
        "In this MLST (Machine Learning Street Talk) interview"
    )
    assert default_guide.overview.endswith(
        "broader questions about AI risk and power centralization."
    )
    assert "\n" not in default_guide.overview
    assert default_guide.source_label == "YouTube"


def test_default_guide_themes_in_order(default_guide):
    assert [t.title for t in default_guide.themes] == THEME_TITLES
    assert [t.number for t in default_guide.themes] == list(range(1, 10))
    assert default_guide.themes[0].body.startswith("Howard recounts creating ULMFiT")
    assert default_guide.themes[-1].body.endswith("losing their ability to grow and adapt.")


def test_default_guide_quotes_with_attributions(default_guide):
    quotes = default_guide.quotes
    assert len(quotes) == 7
    assert quotes[5].text == "A little bit of slope makes up for a lot of intercept."
    assert quotes[5].attribution == "John Ousterhout, via Howard"
    assert quotes[0].text.startswith("The difference between pretending")
    assert quotes[0].attribution == ""
    assert not any(q.text.startswith(('"', "“")) or q.text.endswith(('"', "”")) for q in quotes)


def test_default_guide_people(default_guide):
    assert {r.name: r.description for r in default_guide.references} == PEOPLE
    assert [r.name for r in default_guide.references][:2] == ["Jeremy Howard", "Rachel Thomas"]


def test_default_guide_questions_without_the_trailing_source_line(default_guide):
    questions = default_guide.questions
    assert [q.number for q in questions] == [1, 2, 3, 4, 5]
    assert questions[1].text == (
        "If software engineering skill is now more important than coding skill, how should "
        "computer science education adapt?"
    )
    assert questions[4].text == LAST_QUESTION
    assert "YouTube" not in questions[4].text


@pytest.mark.django_db
def test_default_guide_imports_to_the_database():
    result = guide_import(text=default_text())
    guide = result.guide
    assert result.outcome == "created"
    assert (guide.slug, guide.version) == ("the-dangerous-illusion-of-ai-coding", 1)
    assert list(guide.themes.values_list("title", flat=True)) == THEME_TITLES
    assert guide.quotes.get(position=6).attribution == "John Ousterhout, via Howard"
    assert guide.references.count() == 10
    assert guide.questions.get(number=5).text == LAST_QUESTION
    assert guide.source_label == "YouTube"
    assert len(guide.content_hash) == 64


def test_markdown_form_reads_the_same(default_guide):
    markdown = parse_guide(MARKDOWN_GUIDE.read_text(encoding="utf-8"), filename="guide.md")
    assert markdown == default_guide


# --- Layout variations -------------------------------------------------------------------------


def test_crlf_bom_indentation_and_blank_lines_make_no_difference(default_guide):
    lines = default_text().split("\n")
    messy = "\ufeff" + "\r\n\r\n".join("   " + line for line in lines) + "\r\n\r\n"
    assert parse_guide(messy) == default_guide


def test_a_source_label_glued_to_the_last_question(default_guide):
    glued = default_text().replace("team?\nYouTube", "team?YouTube")
    assert glued != default_text()
    assert parse_guide(glued) == default_guide


def test_no_source_label():
    parsed = parse_guide(default_text().removesuffix("\nYouTube"))
    assert parsed.source_label == ""
    assert parsed.questions[-1].text == LAST_QUESTION


def test_a_wrapped_last_question_is_not_a_source_label():
    text = SMALL_GUIDE.replace("1. What now?", "1. What now, and\nwhat next?")
    parsed = parse_guide(text)
    assert parsed.questions[0].text == "What now, and what next?"
    assert parsed.source_label == ""


@pytest.mark.parametrize(
    "line",
    [
        "• Fred Brooks — No Silver Bullet",
        "- Fred Brooks – No Silver Bullet",
        "* Fred Brooks - No Silver Bullet",
        "* **Fred Brooks** — No Silver Bullet",
    ],
)
def test_people_bullets_and_dashes(line):
    text = SMALL_GUIDE.replace("• Fred Brooks — No Silver Bullet", line)
    assert parse_guide(text).references[0].name == "Fred Brooks"
    assert parse_guide(text).references[0].description == "No Silver Bullet"


@pytest.mark.parametrize(
    ("line", "text", "attribution"),
    [
        ('• "A first quote." (Someone)', "A first quote.", "Someone"),
        ("- “A first quote.” — Someone", "A first quote.", "Someone"),
        ('* "A first quote."', "A first quote.", ""),
        ("- A first quote, unquoted (really)", "A first quote, unquoted (really)", ""),
    ],
)
def test_quote_attributions(line, text, attribution):
    parsed = parse_guide(SMALL_GUIDE.replace('• "A first quote." (Someone)', line))
    assert (parsed.quotes[0].text, parsed.quotes[0].attribution) == (text, attribution)


def test_any_number_of_items():
    themes = "".join(f"{n}. Theme {n}\nBody {n}.\n\n" for n in range(1, 21))
    questions = "".join(f"{n}. Question {n}?\n" for n in range(1, 13))
    text = f"Big\n\nKey Themes\n{themes}Discussion Questions\n{questions}"
    parsed = parse_guide(text)
    assert len(parsed.themes) == 20 and len(parsed.questions) == 12
    assert (parsed.quotes, parsed.references, parsed.overview, parsed.subtitle) == ((), (), "", "")


# --- Malformed guides --------------------------------------------------------------------------

MALFORMED = {
    "empty": ("\n  \n", None, "the file is empty"),
    "no title": ("Overview\nText.\n", 1, "has no title"),
    "text before the first theme": (
        SMALL_GUIDE.replace("1. Origins\n", "Origins\n"),
        7,
        'expected a numbered theme like "1. Title"',
    ),
    "no themes section": (
        SMALL_GUIDE.replace("Key Themes\n1. Origins\nWhere it started.\n", ""),
        None,
        'no "Key Themes" section',
    ),
    "empty themes section": (
        SMALL_GUIDE.replace("1. Origins\nWhere it started.\n", ""),
        6,
        "section is empty",
    ),
    "no questions section": (
        SMALL_GUIDE.split("Discussion Questions")[0],
        None,
        "Discussion Questions",
    ),
    "question without a number": (
        SMALL_GUIDE.replace("1. What now?", "What now?"),
        17,
        "expected a numbered question",
    ),
    "section twice": (
        SMALL_GUIDE + "\nKey Themes\n1. Again\n",
        19,
        "appears twice (first on line 6)",
    ),
    "unknown Markdown section": (
        SMALL_GUIDE.replace("Key Quotes", "## Bibliography"),
        10,
        'unknown section "Bibliography"',
    ),
    "stray text before the sections": (
        SMALL_GUIDE.replace("A Small Guide - Someone", "A Small Guide\nSomeone\nAnother line"),
        3,
        "expected a section heading",
    ),
    "quote without a bullet": (
        SMALL_GUIDE.replace('• "A first quote."', '"A first quote."'),
        11,
        "expected a quote as a bullet",
    ),
    "control character": (SMALL_GUIDE.replace("Where it", "Where\x00it"), 8, "control character"),
    "theme title too long": (
        SMALL_GUIDE.replace("1. Origins", "1. " + "x" * 301),
        7,
        "longer than 300 characters",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "line", "message"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_guides_are_refused_with_the_line(text, line, message):
    with pytest.raises(GuideFormatError) as caught:
        guide_import(text=text, filename="broken.txt")
    assert caught.value.line == line
    assert message in caught.value.message
    assert str(caught.value).startswith(f"broken.txt:{line}: " if line else "broken.txt: ")
    assert counts() == (0, 0, 0, 0, 0)


def test_error_reads_like_a_compiler_message():
    with pytest.raises(GuideFormatError) as caught:
        parse_guide(MALFORMED["text before the first theme"][0])
    assert str(caught.value) == 'guide.txt:7: expected a numbered theme like "1. Title"'


@pytest.mark.django_db
def test_a_refused_reimport_changes_nothing():
    guide_import(text=SMALL_GUIDE)
    before = counts()
    with pytest.raises(GuideFormatError):
        guide_import(text=SMALL_GUIDE.replace("1. What now?", "What now?"))
    assert counts() == before


# --- Bytes -------------------------------------------------------------------------------------


def test_non_utf8_bytes_are_refused_plainly():
    data = "Title\n\nCafé".encode("latin-1")
    with pytest.raises(GuideFormatError) as caught:
        decode_guide_bytes(data, "guide.txt")
    assert "is not a UTF-8 text file" in str(caught.value)
    assert caught.value.line == 3


def test_binary_files_are_refused():
    with pytest.raises(GuideFormatError, match="not a UTF-8 text file"):
        decode_guide_bytes(b"%PDF-1.7\x00\x01\x02", "guide.pdf")


def test_bom_and_utf16_are_decoded():
    assert decode_guide_bytes("\ufeffTitle".encode()) == "Title"
    assert decode_guide_bytes("Title é".encode("utf-16")) == "Title é"


GUIDE_LINES = [
    "Title - Speaker",
    "# Title",
    "Study Guide",
    "Overview",
    "## Key Themes",
    "Key Quotes",
    "Key People and References",
    "Discussion Questions",
    "1. A theme",
    "### 2. Theme",
    '• "Quote" (Someone)',
    "- Name — description",
    "* item",
    "2) What?",
    "team?YouTube",
    "---",
    "",
    "   ",
    "YouTube",
    "(John)",
    "\t1. Indented",
]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_arbitrary_text_only_ever_raises_guide_format_error(text):
    try:
        parse_guide(text)
    except GuideFormatError:
        pass


@settings(max_examples=300)
@given(st.lists(st.one_of(st.sampled_from(GUIDE_LINES), st.text(max_size=30)), max_size=40))
def test_guide_shaped_text_only_ever_raises_guide_format_error(lines):
    try:
        parsed = parse_guide("\n".join(lines))
    except GuideFormatError:
        return
    assert parsed.title and parsed.themes and parsed.questions


@settings(max_examples=200)
@given(st.binary())
def test_arbitrary_bytes_only_ever_raise_guide_format_error(data):
    try:
        parse_guide(decode_guide_bytes(data, "upload.txt"), filename="upload.txt")
    except GuideFormatError:
        pass


# --- Re-importing ------------------------------------------------------------------------------


@pytest.fixture
def facilitator_user(db):
    return get_user_model().objects.create_user("ada", password="correct-horse-battery")


@pytest.mark.django_db
def test_reimport_of_the_same_content_is_unchanged():
    first = guide_import(text=default_text())
    pks = sorted(Theme.objects.values_list("pk", flat=True))
    before = counts()
    # Same content, different layout: still the same guide.
    second = guide_import(text=default_text().replace("\n", "\r\n"))
    assert second.outcome == "unchanged"
    assert second.guide.pk == first.guide.pk
    assert counts() == before
    assert sorted(Theme.objects.values_list("pk", flat=True)) == pks


@pytest.mark.django_db
def test_changed_content_without_sessions_updates_in_place():
    first = guide_import(text=SMALL_GUIDE)
    changed = guide_import(text=SMALL_GUIDE.replace("1. What now?", "1. What now?\n2. And then?"))
    assert changed.outcome == "updated"
    assert changed.guide.pk == first.guide.pk
    assert changed.guide.version == 1
    assert list(changed.guide.questions.values_list("text", flat=True)) == [
        "What now?",
        "And then?",
    ]
    assert changed.guide.content_hash != first.guide.content_hash
    assert counts() == (1, 1, 1, 1, 2)


def test_changed_content_used_by_a_session_becomes_a_new_version(facilitator_user):
    first = guide_import(text=SMALL_GUIDE).guide
    Session.objects.create(code="ABCDEF", guide=first, facilitator=facilitator_user)
    result = guide_import(text=SMALL_GUIDE.replace("Origins", "Beginnings"))
    assert result.outcome == "new_version"
    assert (result.guide.slug, result.guide.version) == (first.slug, 2)
    assert result.guide.pk != first.pk
    # The session keeps the guide it walked through.
    first.refresh_from_db()
    assert first.themes.get().title == "Origins"
    assert Session.objects.get(code="ABCDEF").guide == first
    assert list(Guide.objects.latest_versions()) == [result.guide]
    # And importing the new content again changes nothing.
    again = guide_import(text=SMALL_GUIDE.replace("Origins", "Beginnings"))
    assert (again.outcome, again.guide.pk) == ("unchanged", result.guide.pk)


@pytest.mark.django_db
def test_slug_given_or_from_the_title():
    assert guide_import(text=SMALL_GUIDE).guide.slug == "a-small-guide"
    assert guide_import(text=SMALL_GUIDE, slug="week-3").guide.slug == "week-3"
    assert (
        guide_import(text=SMALL_GUIDE.replace("A Small Guide", "Import")).guide.slug
        == "import-guide"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["has space", "import", "", "x" * 121])
def test_bad_slugs_are_refused(slug):
    with pytest.raises(GuideFormatError) as caught:
        guide_import(text=SMALL_GUIDE, slug=slug)
    assert caught.value.code == "invalid_slug"
    assert counts() == (0, 0, 0, 0, 0)
