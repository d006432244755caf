"""`manage.py export_session CODE --format md|csv|json|html [--names ...] [--output FILE]`.

Writes exactly the bytes the console's download gives (both call `seminar.exports.export`).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from seminar import exports, selectors
from seminar.summary import NAMES


class Command(BaseCommand):
    help = "Export a session's summary as Markdown, CSV, JSON or printable HTML."

    def add_arguments(self, parser):
        parser.add_argument("code", help="The session's join code (any case).")
        # Checked in handle(), not with argparse choices, so a wrong value exits 1 like any error.
        parser.add_argument("--format", dest="fmt", required=True, help="md, csv, json or html.")
        parser.add_argument(
            "--names", default="real", help="real (default) or pseudonyms (Participant 1, ...)."
        )
        parser.add_argument("--output", help="Write to this file instead of standard output.")

    def handle(self, *args, code, fmt, names, output, **options):
        if fmt not in exports.FORMATS:
            raise CommandError(
                f"unknown format {fmt!r}: choose one of {', '.join(exports.FORMATS)}"
            )
        if names not in NAMES:
            raise CommandError(f"unknown --names {names!r}: choose real or pseudonyms")
        session = selectors.session_by_code(code.strip().upper())
        if session is None:
            raise CommandError(f"no session has the code {code!r}")
        content = exports.export(session, fmt, names=names).content
        if output:
            try:
                Path(output).write_bytes(content)
            except OSError as error:
                raise CommandError(f"cannot write {output}: {error.strerror}") from error
            return
        buffer = getattr(self.stdout, "buffer", None)
        if buffer is not None:
            self.stdout.flush()
            buffer.write(content)
            buffer.flush()
        else:  # a text stream (e.g. call_command(stdout=StringIO()))
            self.stdout.write(content.decode("utf-8"), ending="")
