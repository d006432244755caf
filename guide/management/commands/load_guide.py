"""`manage.py load_guide PATH [--slug SLUG]`: import a study guide from a text or Markdown file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from guide.importer import GuideFormatError, decode_guide_bytes
from guide.services import guide_import

OUTCOMES = {
    "created": "created",
    "updated": "updated in place",
    "unchanged": "unchanged",
    "new_version": "new version {version}: sessions keep the old one",
}


class Command(BaseCommand):
    help = (
        "Import a study guide from a plain-text or Markdown file. Importing the same file again "
        "changes nothing; a changed file updates the guide, or adds a new version of it if a "
        "session has already used it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", help="the guide file, e.g. guide/data/dangerous-illusion-of-ai-coding.txt"
        )
        parser.add_argument("--slug", help="the guide's URL name (default: made from its title)")

    def handle(self, *args, path, slug=None, **options):
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(
                f"{path}: cannot read the file ({error.strerror or error})"
            ) from None
        try:
            result = guide_import(
                text=decode_guide_bytes(data, str(path)), filename=str(path), slug=slug
            )
        except GuideFormatError as error:
            raise CommandError(str(error)) from None
        guide = result.guide
        self.stdout.write(
            f'Imported "{guide.title}" ({OUTCOMES[result.outcome].format(version=guide.version)}): '
            f"{_count(guide.themes.count(), 'theme')}, {_count(guide.quotes.count(), 'quote')}, "
            f"{_count(guide.references.count(), 'person', 'people')}, "
            f"{_count(guide.questions.count(), 'question')}."
        )


def _count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else plural or singular + 's'}"
