"""A group sendout at volume, with real worker processes.

    python bench/sendout.py [--database-url URL] [--redis-url URL] [--recipients N]

An organization with one group of N members (default 100,000) and a marketing message with
dynamic text. A django-q2 cluster (2 workers) and a dispatcher run as in production; the
sendout is started with *send now* and the benchmark measures, against anymail's test
backend (our own overhead, no network; `bench/backends.py`, which does not keep every sent
message in the worker's memory as anymail's does):

- mails/s end to end: from *send now* to the last mail recorded as *sent*;
- time to first mail: from *send now* to the first mail recorded as *sent*;
- peak RSS of every worker process (sampled every 0.2 s).
"""

from __future__ import annotations

import argparse
import os
import threading
import time

from common import BASE_DIR, children, report, rss_mb, setup_django, start_workers, stop_workers, wait_until

HTML = """<html><head><style>p { color: #333; font-family: sans-serif; }</style></head>
<body><p>Hello {{ contact.first_name }},</p><p>here is what is new this month.</p>
<p><a href="https://example.com/news">Read more</a></p></body></html>"""


def prepare(slug: str, recipients: int):
    from django.utils import timezone

    from contacts.models import Contact, Group, Membership, Organization
    from notifications.models import PreparedMessage, PreparedMessageVariant, SendQuota
    from notifications.sendouts import create_sendout

    organization = Organization.objects.create(name=slug, slug=slug)
    SendQuota.objects.update_or_create(
        organization=organization,
        defaults={
            "mails_per_minute": 10_000_000, "tokens": 10_000_000.0, "updated_at": timezone.now(),
            "campaign_mails_per_minute": 10_000_000, "campaign_tokens": 10_000_000.0,
            "campaign_updated_at": timezone.now(),
        },
    )  # fmt: skip
    message = PreparedMessage.objects.create(organization=organization, name="News", is_marketing=True)
    PreparedMessageVariant.objects.create(
        message=message, language="en", subject="News for {{ contact.first_name }}", html_body=HTML
    )
    group = Group.objects.create(organization=organization, name="Readers")
    for start in range(0, recipients, 5000):
        contacts = Contact.objects.bulk_create(
            Contact(organization=organization, email=f"r{i}@{slug}.example", first_name=f"Ann{i}")
            for i in range(start, min(start + 5000, recipients))
        )
        Membership.objects.bulk_create(Membership(group=group, contact=contact) for contact in contacts)
    return create_sendout(organization=organization, name="Bench", message=message, groups=[group])


class RssSampler(threading.Thread):
    """The highest RSS any worker process (and its children) reached."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids, self.peak, self.stop = pids, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for pid in self.pids:
                for each in [pid, *children(pid), *[g for c in children(pid) for g in children(c)]]:
                    try:
                        self.peak = max(self.peak, rss_mb(each))
                    except OSError:
                        continue
            self.stop.wait(0.2)


def run_sendout(slug: str, recipients: int, env: dict[str, str]) -> tuple[float, float, float]:
    """Returns (mails per second end to end, seconds to the first mail, peak worker RSS in MB)."""
    from notifications.models import OutboundMessage
    from notifications.sendouts import start_sendout

    sendout = prepare(slug, recipients)
    sent = OutboundMessage.objects.filter(organization=sendout.organization, status=OutboundMessage.Status.SENT)
    processes = start_workers(env)
    sampler = RssSampler([process.pid for process in processes])
    sampler.start()
    try:
        time.sleep(4)  # the cluster starts its workers
        start = time.perf_counter()
        start_sendout(sendout=sendout)
        wait_until(lambda: sent.exists(), timeout=120, interval=0.02)
        first = time.perf_counter() - start
        finished = wait_until(lambda: sent.count() >= recipients, timeout=3600, interval=0.5)
        elapsed = time.perf_counter() - start
    finally:
        sampler.stop.set()
        stop_workers(processes)
    done = sent.count()
    print(f"{slug}: {done} of {recipients} mails sent in {elapsed:.1f} s" + ("" if finished else " (timed out)"))
    return done / elapsed, first, sampler.peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=f"sqlite:///{BASE_DIR / 'var' / 'bench-sendout.sqlite3'}")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--recipients", type=int, default=100_000)
    args = parser.parse_args()
    if args.redis_url:
        os.environ["REDIS_URL"] = args.redis_url
    setup_django(args.database_url)
    from django_q.conf import Conf

    from contacts.models import Organization

    Organization.objects.filter(slug__startswith="bench-sendout-").delete()  # an earlier run's
    Conf.SYNC = False
    engine = "postgresql+redis" if args.redis_url else "sqlite"
    target = 1000 if args.redis_url else 500
    env = {
        **os.environ, "DATABASE_URL": args.database_url, "Q_WORKERS": "2",
        "EMAIL_BACKEND": "bench.backends.EmailBackend",
    }  # fmt: skip
    rate, first, rss = run_sendout(f"bench-sendout-{int(time.time())}", args.recipients, env)
    suffix = f"{engine}_{args.recipients // 1000}k"
    report(f"sendout_test_backend_{suffix}", rate, "mails/s", f">= {target} mails/s", rate >= target)
    report(f"sendout_first_mail_{suffix}", first, "s", "<= 2 s", first <= 2)
    report(f"sendout_worker_peak_rss_{suffix}", rss, "MB", "<= 250 MB", rss <= 250)


if __name__ == "__main__":
    main()
