"""`manage.py serve_banner --host H --port P`: what to open once `make run` has started."""

import socket

from django.conf import settings
from django.core.management.base import BaseCommand

ANY_ADDRESS = {"0.0.0.0", "::", ""}


class Command(BaseCommand):
    help = "Print the addresses to open in a browser for the server about to start."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host, port, **options):
        # A server listening on every address is reached by this machine's LAN address.
        shown = (_lan_address() or "localhost") if host in ANY_ADDRESS else host
        if ":" in shown:
            shown = f"[{shown}]"
        pages = [
            (f"http://{shown}:{port}/", "students join here with the code"),
            (f"http://{shown}:{port}/facilitate/", "facilitator console (sign in)"),
            (f"http://{shown}:{port}/guides/", "study guides"),
        ]
        width = max(len(url) for url, _ in pages)
        lines = ["", self.style.SUCCESS("Seminar is starting. Open:")]
        lines += [f"    {url.ljust(width)}   {what}" for url, what in pages]
        if host in ANY_ADDRESS and not _allowed(shown):
            lines.append(
                f"Django will refuse requests for {shown} (Bad Request 400): "
                f"restart with make run HOST={host} ALLOWED_HOSTS={shown},localhost"
            )
        elif host in {"127.0.0.1", "localhost", "::1"}:
            lines.append(
                "Only this computer can open these. For a classroom LAN: "
                "make run HOST=0.0.0.0 ALLOWED_HOSTS=<this computer's IP address>,localhost"
            )
        lines.append("")
        self.stdout.write("\n".join(lines))


def _allowed(host: str) -> bool:
    return "*" in settings.ALLOWED_HOSTS or host in settings.ALLOWED_HOSTS


def _lan_address() -> str | None:
    """This machine's address on the local network, or None when offline."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        # Connecting a UDP socket sends nothing; it only picks the outgoing interface.
        probe.connect(("10.255.255.255", 1))
        return probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
