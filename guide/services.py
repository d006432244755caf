"""Actions on study guides. Views, management commands and tests all import guides here."""

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils.text import slugify

from guide.importer import GuideFormatError, ParsedGuide, parse_guide
from guide.models import Guide, Question, Quote, Reference, Theme

ImportOutcome = Literal["created", "updated", "unchanged", "new_version"]

# Paths under /guides/ that are pages, not guides.
RESERVED_SLUGS = frozenset({"import"})
SLUG_MAX_LENGTH = Guide._meta.get_field("slug").max_length


@dataclass(frozen=True)
class ImportResult:
    guide: Guide
    outcome: ImportOutcome


def guide_import(
    *, text: str, filename: str = "guide.txt", slug: str | None = None
) -> ImportResult:
    """Parse `text` and store it as the guide `slug` (by default, the slug of its title).

    All or nothing: a text that does not parse raises GuideFormatError and writes nothing.
    Against the newest stored version of that slug:
    - none yet: version 1 is created ("created");
    - same content (by content hash): nothing is written ("unchanged");
    - different content, and no session has used that version: it is updated in place, its
      themes, quotes, people and questions replaced ("updated");
    - different content, and a session has used it: a new version is created beside it
      ("new_version"), so running and past sessions keep the guide they walked through.
    """
    parsed = parse_guide(text, filename=filename)
    slug = _checked_slug(slug, filename) if slug is not None else _slug_for(parsed.title)
    content_hash = guide_content_hash(parsed)
    with transaction.atomic():
        latest = Guide.objects.select_for_update().filter(slug=slug).order_by("-version").first()
        if latest is None:
            return ImportResult(_create(parsed, slug, 1, content_hash), "created")
        if latest.content_hash == content_hash:
            return ImportResult(latest, "unchanged")
        if latest.sessions.exists():
            guide = _create(parsed, slug, latest.version + 1, content_hash)
            return ImportResult(guide, "new_version")
        return ImportResult(_replace(latest, parsed, content_hash), "updated")


def guide_content_hash(parsed: ParsedGuide) -> str:
    """A fingerprint of the guide's content, independent of how the file was laid out."""
    canonical = json.dumps(asdict(parsed), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _slug_for(title: str) -> str:
    slug = slugify(title)[:SLUG_MAX_LENGTH].strip("-_") or "guide"
    # A guide called "Import" must not hide the import page.
    return f"{slug}-guide" if slug in RESERVED_SLUGS else slug


def _checked_slug(slug: str, filename: str) -> str:
    message = (
        f'"{slug}" cannot be a guide\'s slug: use up to {SLUG_MAX_LENGTH} letters, digits, '
        f'hyphens or underscores (and not "import")'
    )
    try:
        validate_slug(slug)
    except ValidationError:
        raise GuideFormatError(message, filename=filename, code="invalid_slug") from None
    if len(slug) > SLUG_MAX_LENGTH or slug in RESERVED_SLUGS:
        raise GuideFormatError(message, filename=filename, code="invalid_slug")
    return slug


def _create(parsed: ParsedGuide, slug: str, version: int, content_hash: str) -> Guide:
    guide = Guide(slug=slug, version=version)
    return _replace(guide, parsed, content_hash)


def _replace(guide: Guide, parsed: ParsedGuide, content_hash: str) -> Guide:
    """Write the parsed content into `guide` (new or existing), replacing its children."""
    guide.title = parsed.title
    guide.subtitle = parsed.subtitle
    guide.overview = parsed.overview
    guide.source_label = parsed.source_label
    guide.content_hash = content_hash
    guide.save()
    for model in (Theme, Quote, Reference, Question):
        model.objects.filter(guide=guide).delete()
    Theme.objects.bulk_create(
        Theme(guide=guide, number=t.number, title=t.title, body=t.body) for t in parsed.themes
    )
    Quote.objects.bulk_create(
        Quote(guide=guide, position=n, text=q.text, attribution=q.attribution)
        for n, q in enumerate(parsed.quotes, start=1)
    )
    Reference.objects.bulk_create(
        Reference(guide=guide, position=n, name=r.name, description=r.description)
        for n, r in enumerate(parsed.references, start=1)
    )
    Question.objects.bulk_create(
        Question(guide=guide, number=q.number, text=q.text) for q in parsed.questions
    )
    return guide
