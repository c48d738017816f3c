"""Pipeline throughput: events in through the bulk path, mails out, with real processes.

    python bench/pipeline.py [--database-url URL] [--redis-url URL] [--events N] [--plain N]

One *send prepared message* automation listens to a custom event. The benchmark stores
N contacts, starts a django-q2 cluster (2 workers, --workers) and a dispatcher, ingests N events with
`record_events` in calls of 1,000, and measures the time until every mail is *sent*:

1. to anymail's test backend (our own overhead, no network);
2. over real SMTP into a sink on loopback (a process of its own), next to the rate a plain
   Django client reaches against the same sink in the same run (one connection, the same
   mails, no database);
3. the outbox's own sender on M queued mails (--peer, 20,000), in this process and then as
   production runs it (dispatcher and cluster, 2 worker processes), next to
   django-post-office (bench/post_office_peer.py, 2 processes × 5 threads) sending the same
   mails to the same sink, as ratios; the pipeline's SMTP rate is given as a ratio to it too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from common import BASE_DIR, free_port, report, setup_django, start_workers, stop_workers, wait_until

HTML = """<html><head><style>p { color: #333; font-family: sans-serif; }</style></head>
<body><p>Hello {{ contact.first_name }},</p><p>your order {{ event.payload.order }} is on its way.</p></body></html>"""


def prepare(slug: str, events: int):
    """An organization with N contacts and one automation; returns (organization, contacts)."""
    from django.utils import timezone

    from automations.models import Automation
    from contacts.models import Contact, Organization
    from notifications.models import PreparedMessage, PreparedMessageVariant, SendQuota

    organization = Organization.objects.create(name=slug, slug=slug)
    SendQuota.objects.update_or_create(
        organization=organization,
        defaults={"mails_per_minute": 10_000_000, "tokens": 10_000_000.0, "updated_at": timezone.now()},
    )
    message = PreparedMessage.objects.create(organization=organization, name="Shipped", is_marketing=False)
    PreparedMessageVariant.objects.create(
        message=message, language="en", subject="Order {{ event.payload.order }} shipped", html_body=HTML
    )
    Automation.objects.create(
        organization=organization, name="shipped", event_type="custom", event_name="shipped",
        job_type="send_prepared_message_contact", job_params={"message": message.pk},
    )  # fmt: skip
    Contact.objects.bulk_create(
        [Contact(organization=organization, email=f"c{i}@{slug}.example", first_name=f"Ann{i}") for i in range(events)],
        batch_size=1000,
    )
    return organization, list(Contact.objects.filter(organization=organization).order_by("pk"))


def run_pipeline(slug: str, events: int, env: dict[str, str]) -> tuple[float, float]:
    """Returns (mails per second end to end, events per second ingested)."""
    from engage.events import NewEvent, record_events
    from notifications.models import OutboundMessage

    organization, contacts = prepare(slug, events)
    sent = OutboundMessage.objects.filter(organization=organization, status=OutboundMessage.Status.SENT)
    processes = start_workers(env)
    try:
        time.sleep(4)  # the cluster starts its workers
        start = time.perf_counter()
        for offset in range(0, events, 1000):
            chunk = contacts[offset : offset + 1000]
            record_events(
                organization=organization,
                events=[NewEvent(type="custom", name="shipped", contact=c, payload={"order": c.pk}) for c in chunk],
            )
        ingested = time.perf_counter() - start
        finished = wait_until(lambda: sent.count() >= events, timeout=600, interval=0.2)
        elapsed = time.perf_counter() - start
    finally:
        stop_workers(processes)
    done = sent.count()
    print(f"{slug}: {done} of {events} mails sent in {elapsed:.1f} s" + ("" if finished else " (timed out)"))
    return done / elapsed, events / ingested


def plain_django_rate(port: int, count: int) -> float:
    """The same kind of mails sent by Django alone over one reused SMTP connection."""
    from django.core.mail import EmailMultiAlternatives, get_connection

    connection = get_connection("django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=port)
    messages = [
        EmailMultiAlternatives(
            subject=f"Order {i} shipped",
            body=f"Hello Ann{i},\n\nyour order {i} is on its way.",
            from_email="Engage <noreply@engage.localhost>",
            to=[f"plain{i}@example.com"],
            alternatives=[(HTML, "text/html")],
            connection=connection,
        )
        for i in range(count)
    ]
    start = time.perf_counter()
    connection.open()
    for message in messages:
        message.send()
    connection.close()
    return count / (time.perf_counter() - start)


def outbox_rate(slug: str, port: int, count: int) -> float:
    """The outbox's own sender, as a worker runs it: queued mails claimed and sent (over
    ENGAGE_SMTP_CONNECTIONS connections in parallel)."""
    from django.db import transaction
    from django.test import override_settings

    from contacts.models import Organization
    from notifications.services import RenderedMail, deliver, enqueue_mail

    organization = Organization.objects.create(name=slug, slug=slug)
    with transaction.atomic():
        ids = [
            enqueue_mail(
                organization=organization,
                to=f"outbox{i}@example.com",
                mail=RenderedMail(subject=f"Order {i} shipped", text=f"Hello Ann{i},\n\nyour order {i}.", html=HTML),
            ).pk
            for i in range(count)
        ]
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
                           EMAIL_PORT=port, ENGAGE_MAILS_PER_MINUTE=10_000_000):  # fmt: skip
        start = time.perf_counter()
        sent = deliver(ids)
    return sent / (time.perf_counter() - start)


def outbox_workers_rate(slug: str, count: int, env: dict[str, str]) -> float:
    """The outbox as production runs it, like post_office with its 2 processes: queued mails
    swept by the dispatcher and sent by the cluster's workers (Q_WORKERS, 2)."""
    from django.db import transaction

    from contacts.models import Organization
    from notifications.models import OutboundMessage
    from notifications.services import RenderedMail, enqueue_mail

    organization = Organization.objects.create(name=slug, slug=slug)
    with transaction.atomic():
        for i in range(count):
            mail = RenderedMail(subject=f"Order {i} shipped", text=f"Hello Ann{i},\n\nyour order {i}.", html=HTML)
            enqueue_mail(organization=organization, to=f"workers{i}@example.com", mail=mail)
    sent = OutboundMessage.objects.filter(organization=organization, status=OutboundMessage.Status.SENT)
    processes = start_workers({**env, "ENGAGE_MAILS_PER_MINUTE": "10000000"})
    try:
        start = time.perf_counter()
        wait_until(lambda: sent.count() >= count, timeout=600, interval=0.2)
        elapsed = time.perf_counter() - start
    finally:
        stop_workers(processes)
    return sent.count() / elapsed


def start_sink(port: int) -> subprocess.Popen:
    """An SMTP server on loopback that accepts and drops every mail, in a process of its own
    (in ours it would take the interpreter from the senders it measures)."""
    sink = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_until(lambda: _listening(port), timeout=10)
    return sink


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def post_office_rate(database_url: str, port: int, count: int) -> float:
    """django-post-office on the same mails and sink (bench/post_office_peer.py)."""
    result = subprocess.run(
        [sys.executable, str(BASE_DIR / "bench" / "post_office_peer.py"), "--database-url", database_url,
         "--port", str(port), "--count", str(count)],
        cwd=BASE_DIR, capture_output=True, text=True, check=True,
    )  # fmt: skip
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"django-post-office: {outcome['sent']} of {count} mails sent in {outcome['seconds']:.1f} s")
    return outcome["rate"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=f"sqlite:///{BASE_DIR / 'var' / 'bench-pipeline.sqlite3'}")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--plain", type=int, default=5_000)
    parser.add_argument("--workers", type=int, default=2, help="django-q2 worker processes (Q_WORKERS)")
    parser.add_argument("--smtp-only", action="store_true", help="skip the test-backend pipeline")
    parser.add_argument("--test-backend-only", action="store_true", help="skip everything over SMTP")
    parser.add_argument("--peer", type=int, default=20_000, help="mails for the outbox and django-post-office")
    args = parser.parse_args()
    if args.redis_url:
        os.environ["REDIS_URL"] = args.redis_url
    setup_django(args.database_url)
    from contacts.models import Organization

    Organization.objects.filter(slug__startswith="bench-pipeline-").delete()  # an earlier run's

    from django_q.conf import Conf

    Conf.SYNC = False
    engine = "postgresql+redis" if args.redis_url else "sqlite"
    target = 1000 if args.redis_url else 500
    if args.workers != 2:
        engine += f"_{args.workers}_workers"  # the scaling table's figures, beside the usual ones
    stamp = int(time.time())
    env = {**os.environ, "DATABASE_URL": args.database_url, "Q_WORKERS": str(args.workers)}

    if not args.smtp_only:
        rate, ingest = run_pipeline(
            f"bench-pipeline-test-{stamp}", args.events, {**env, "EMAIL_BACKEND": "bench.backends.EmailBackend"}
        )
        report(f"bulk_ingest_{engine}", ingest, "events/s", "-", None)
        report(f"pipeline_test_backend_{engine}", rate, "mails/s", f">= {target} mails/s", rate >= target)

    if args.test_backend_only:
        return
    port = free_port()
    sink = start_sink(port)
    try:
        plain = plain_django_rate(port, args.plain)
        outbox = outbox_rate(f"bench-pipeline-outbox-{stamp}", port, args.peer)
        peer = post_office_rate(args.database_url, port, args.peer)
        workers = outbox_workers_rate(
            f"bench-pipeline-workers-{stamp}", args.peer, {**env, "EMAIL_URL": f"smtp://127.0.0.1:{port}"}
        )
        smtp_rate, _ = run_pipeline(
            f"bench-pipeline-smtp-{stamp}", args.events, {**env, "EMAIL_URL": f"smtp://127.0.0.1:{port}"}
        )
    finally:
        sink.terminate()
        sink.wait(timeout=10)
    report(f"plain_django_smtp_{engine}", plain, "mails/s", "-", None)
    report(f"outbox_smtp_{engine}", outbox, "mails/s", "-", None)
    report(f"post_office_smtp_{engine}", peer, "mails/s", "-", None)
    report(f"outbox_vs_post_office_{engine}", outbox / peer, "x", ">= 1.2 x", outbox / peer >= 1.2)
    report(f"outbox_workers_smtp_{engine}", workers, "mails/s", "-", None)
    report(f"outbox_workers_vs_post_office_{engine}", workers / peer, "x", ">= 1.2 x", workers / peer >= 1.2)
    report(f"pipeline_smtp_{engine}", smtp_rate, "mails/s", "-", None)
    report(f"pipeline_smtp_vs_post_office_{engine}", smtp_rate / peer, "x", ">= 1.2 x", smtp_rate / peer >= 1.2)
    ratio = smtp_rate / plain * 100
    report(f"pipeline_smtp_ratio_{engine}", ratio, "%", ">= 100 %", ratio >= 100)


if __name__ == "__main__":
    main()
