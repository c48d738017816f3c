"""How fast and how punctually runs turn into mails, with real processes.

    python bench/latency.py [--database-url URL] [--redis-url URL] [--immediate N] [--delayed N] [--window S]

Starts a mail sink on loopback, a django-q2 cluster and a dispatcher, then measures:
- zero-delay latency: from the commit of a contact's creation to the mail accepted by SMTP;
- delay precision: runs due at random times over a window, lateness of their mails;
- worker memory: the largest RSS of the cluster's processes at the end.
Each run sends a small prepared message (no password hashing in the way).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import timedelta

from common import (
    BASE_DIR,
    Sink,
    children,
    free_port,
    percentile,
    report,
    rss_mb,
    setup_django,
    start_workers,
    stop_workers,
    wait_until,
)


def print_stages(organization, sink: Sink, automation: str) -> None:
    """Where the mails lost their time: due → claimed → run finished → sent → arrived."""
    from automations.models import Run
    from notifications.models import OutboundMessage

    sent = dict(
        OutboundMessage.objects.filter(organization=organization, run__automation__name=automation).values_list(
            "run_id", "sent_at"
        )
    )
    stages: dict[str, list[float]] = {"claim": [], "execute": [], "send": [], "arrive": []}
    runs = Run.objects.filter(organization=organization, automation__name=automation).select_related("contact")
    for run in runs:
        if run.started_at is None or run.finished_at is None or sent.get(run.pk) is None:
            continue
        arrived = sink.arrivals.get(run.contact.email)
        stages["claim"].append((run.started_at - run.due_at).total_seconds() * 1000)
        stages["execute"].append((run.finished_at - run.started_at).total_seconds() * 1000)
        stages["send"].append((sent[run.pk] - run.finished_at).total_seconds() * 1000)
        if arrived is not None:
            stages["arrive"].append(arrived * 1000 - sent[run.pk].timestamp() * 1000)
    for name, values in stages.items():
        if values:
            print(f"  stage {name}: p50 {statistics.median(values):.0f} ms, p99 {percentile(values, 0.99):.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=f"sqlite:///{BASE_DIR / 'var' / 'bench-latency.sqlite3'}")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--immediate", type=int, default=200)
    parser.add_argument("--delayed", type=int, default=2000)
    parser.add_argument("--window", type=float, default=60.0)
    args = parser.parse_args()
    if args.redis_url:
        os.environ["REDIS_URL"] = args.redis_url
    setup_django(args.database_url)

    from aiosmtpd.controller import Controller
    from django.utils import timezone
    from django_q.conf import Conf

    from automations.models import Automation, Run
    from contacts import services
    from contacts.models import Contact, Organization
    from notifications.models import PreparedMessage, PreparedMessageVariant

    Conf.SYNC = False
    engine = "postgresql+redis" if args.redis_url else "sqlite"
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()

    slug = f"bench-latency-{int(time.time())}"
    organization = Organization.objects.create(name="Bench latency", slug=slug)
    message = PreparedMessage.objects.create(organization=organization, name="Ping", is_marketing=False)
    PreparedMessageVariant.objects.create(
        message=message, language="en", subject="Ping", text_body="Ping {{ contact.email }}"
    )
    now_rule = Automation.objects.create(
        organization=organization, name="now", event_type="contact_created",
        job_type="send_prepared_message_contact", job_params={"message": message.pk},
    )  # fmt: skip

    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "Q_WORKERS": "2",
        "ENGAGE_MAILS_PER_MINUTE": "1000000",
    }
    processes = start_workers(env)
    try:
        time.sleep(3)  # the cluster starts its workers
        # Zero-delay latency: commit → SMTP accepted.
        committed: dict[str, float] = {}
        for i in range(args.immediate):
            email = f"now{i}@{slug}.example"
            services.create_contact(organization=organization, email=email)  # its own transaction
            committed[email] = time.time()
            time.sleep(0.02)
        wait_until(lambda: all(e in sink.arrivals for e in committed), 60)
        latencies = [(sink.arrivals[e] - t) * 1000 for e, t in committed.items() if e in sink.arrivals]
        print(f"zero-delay: {len(latencies)} of {len(committed)} mails arrived")
        report(f"zero_delay_latency_p50_{engine}", statistics.median(latencies), "ms", "<= 50 ms",
               statistics.median(latencies) <= 50)  # fmt: skip
        report(f"zero_delay_latency_p99_{engine}", percentile(latencies, 0.99), "ms", "<= 200 ms",
               percentile(latencies, 0.99) <= 200)  # fmt: skip
        print_stages(organization, sink, "now")

        # Delay precision: runs due at random moments over the window.
        now_rule.is_active = False
        now_rule.save()
        Automation.objects.create(
            organization=organization, name="later", event_type="contact_created", delay_unit="days", delay_value=1,
            job_type="send_prepared_message_contact", job_params={"message": message.pk},
        )  # fmt: skip
        for i in range(args.delayed):
            services.create_contact(organization=organization, email=f"later{i}@{slug}.example")
        start = timezone.now() + timedelta(seconds=5)
        due: dict[str, float] = {}
        runs = list(Run.objects.filter(organization=organization, automation__name="later").select_related("contact"))
        for run in runs:
            run.due_at = start + timedelta(seconds=random.uniform(0, args.window))
            due[run.contact.email] = run.due_at.timestamp()
        Run.objects.bulk_update(runs, ["due_at"], batch_size=500)
        wait_until(lambda: all(e in sink.arrivals for e in due), args.window + 60)
        lateness = [(sink.arrivals[e] - t) * 1000 for e, t in due.items() if e in sink.arrivals]
        print(f"delayed: {len(lateness)} of {len(due)} mails arrived; early ones: {sum(1 for x in lateness if x < 0)}")
        report(f"delay_lateness_p50_{engine}", statistics.median(lateness), "ms", "-", None)
        p99 = percentile(lateness, 0.99)
        report(f"delay_lateness_p99_{engine}", p99, "ms", "<= 500 ms", p99 <= 500)
        report(f"delay_lateness_max_{engine}", max(lateness), "ms", "-", None)
        print_stages(organization, sink, "later")

        cluster = processes[0].pid
        worst = max([rss_mb(cluster), *[rss_mb(pid) for pid in children(cluster)]])
        report(f"worker_rss_max_{engine}", worst, "MB", "<= 250 MB", worst <= 250)
    finally:
        stop_workers(processes)
        controller.stop()
        Contact.objects.filter(organization=organization).delete()


if __name__ == "__main__":
    main()
