"""The peer: django-post-office sends N queued mails to an SMTP sink (a bench-only requirement).

    python bench/post_office_peer.py --database-url URL --port PORT [--count N] [--processes 2]

Prints the mails per second of `send_queued_mail_until_done` as JSON; queueing is not timed.
The mails are those of bench/pipeline.py's outbox figure (subject, text, the same HTML).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    os.environ.update(
        DATABASE_URL=args.database_url, EMAIL_URL=f"smtp://127.0.0.1:{args.port}", DEBUG="false",
        DJANGO_SETTINGS_MODULE="bench.post_office_settings",
    )  # fmt: skip
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    sys.path.insert(0, str(BASE_DIR))
    sys.path.insert(0, str(BASE_DIR / "bench"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from pipeline import HTML
    from post_office import mail
    from post_office.models import Email

    call_command("migrate", "post_office", verbosity=0)
    Email.objects.all().delete()
    mail.send_many(
        [
            {
                "recipients": [f"peer{i}@example.com"],
                "sender": "Engage <noreply@engage.localhost>",
                "subject": f"Order {i} shipped",
                "message": f"Hello Ann{i},\n\nyour order {i}.",
                "html_message": HTML,
            }
            for i in range(args.count)
        ]
    )
    connection.close()
    start = time.perf_counter()
    mail.send_queued_mail_until_done(lockfile=str(BASE_DIR / "var" / "bench-post-office"), processes=args.processes)
    elapsed = time.perf_counter() - start
    sent = Email.objects.filter(status=0).count()  # STATUS.sent
    print(json.dumps({"sent": sent, "seconds": elapsed, "rate": sent / elapsed}))


if __name__ == "__main__":
    main()
