import signal
import threading

from django.core.management.base import BaseCommand

from automations.dispatcher import run_forever


class Command(BaseCommand):
    help = "Hand due automation runs to the task queue as soon as they are due (run one or more)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--interval", type=float, default=None, help="Longest sleep between two looks, in seconds.")

    def handle(self, *args, interval: float | None = None, **options) -> None:
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write("Dispatcher started.")
        run_forever(stop, interval=interval)
        self.stdout.write("Dispatcher stopped.")
