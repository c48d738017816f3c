import signal
import threading
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from notifications.mailsink import start_sink, text_of


class Command(BaseCommand):
    help = "Run a local SMTP sink on loopback that prints and keeps every mail (for the embedded set-up)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=settings.EMAIL_PORT or 1025)
        parser.add_argument("--directory", default=str(settings.BASE_DIR / "var" / "mail"))

    def handle(self, *args, port: int, directory: str, **options) -> None:
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())

        def show(message, path: Path) -> None:
            self.stdout.write(
                f"\n──── mail {path.name} ────\nFrom: {message['From']}\nTo: {message['To']}\n"
                f"Subject: {message['Subject']}\n\n{text_of(message).strip()}\n────────────────────────\n"
            )
            self.stdout.flush()

        controller = start_sink(Path(directory), port=port, on_message=show)
        self.stdout.write(f"Mail sink listening on 127.0.0.1:{port}; mails are kept in {directory}")
        stop.wait()
        controller.stop()
