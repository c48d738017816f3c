"""The web server under load, as `make serve` runs it (gunicorn, deploy/gunicorn.conf.py, 2
processes × 4 threads, a pool of 4 connections each) on PostgreSQL + Redis:

1. the integrator's burst: 601 agentless mails from 16 client threads to one organization
   (600 a minute allowed): 600 × 202, 1 × 429, no 5xx, and PostgreSQL connections held by
   the server bounded by the pools (2 × 4);
2. a locust run (bench/locustfile.py) of event ingest (single and bulk), contact upserts,
   agentless mail and preference-center logins: requests per second per endpoint, p99 of a
   single event, no 5xx, connections bounded by the pools.

Status codes are counted from the server's access log, so nothing a client misreads hides a
5xx. No task cluster runs: the mails wait in the outbox.

    python bench/load.py [--seconds 60] [--users 12] [--database-url …] [--redis-url …]

12 users is the highest load a 2-core machine holds within the targets while it also runs
the load generator: about 65 requests/s in all, single events p99 250 ms. With 24 users it
reached 79–94 requests/s, but single events p99 rose to 650–670 ms: the cores are saturated
(no 5xx, the pools never exceeded).
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import BASE_DIR, DEFAULT_PG, free_port, report, setup_django, wait_until

WEB_CONCURRENCY, WEB_THREADS, POOL = 2, 4, 4
BURST, BURST_THREADS = 601, 16
STATUS = re.compile(r'" (\d{3}) ')


def prepare(slug: str, mails_per_minute: int) -> dict[str, str]:
    """An organization with a verified sender domain, an API key that may send agentless
    mail, 200 contacts and one that may log in to the preference center."""
    from django.utils import timezone

    from api.credentials import create_api_key
    from contacts.models import Contact, Organization
    from notifications.models import SenderDomain, SendQuota

    organization = Organization.objects.create(name=slug, slug=slug)
    SenderDomain.objects.create(organization=organization, domain=f"{slug}.example", verified_at=timezone.now())
    SendQuota.objects.create(
        organization=organization, mails_per_minute=mails_per_minute, tokens=mails_per_minute, updated_at=timezone.now()
    )
    contacts = Contact.objects.bulk_create(
        Contact(organization=organization, email=f"c{i}@{slug}.example") for i in range(200)
    )
    member = contacts[0]
    member.set_password("load-test-password-1")
    member.save()
    key = create_api_key(organization=organization, name="load", scope="write", agentless_email=True)[1]
    return {
        "LOAD_API_KEY": key,
        "LOAD_AGENTLESS_KEY": key,
        "LOAD_CONTACT_IDS": ",".join(str(c.pk) for c in contacts),
        "LOAD_PORTAL_PATH": f"/portal/{slug}/",
        "LOAD_PORTAL_EMAIL": member.email,
        "LOAD_PORTAL_PASSWORD": "load-test-password-1",
        "LOAD_SENDER": f"service@{slug}.example",
    }


class ConnectionWatch:
    """The most connections the server's processes held to the database at once."""

    def __init__(self, database: str, application: str) -> None:
        import psycopg

        self.sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = %s"
        self.args = (database, application)
        self.connection = psycopg.connect("dbname=postgres host=127.0.0.1 user=postgres", autocommit=True)
        self.most, self.stop = 0, threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while not self.stop.wait(0.05):
            self.most = max(self.most, self.connection.execute(self.sql, self.args).fetchone()[0])

    def finish(self) -> int:
        self.stop.set()
        self.thread.join()
        self.connection.close()
        return self.most


def post(url: str, body: bytes, key: str) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers={  # noqa: S310 (loopback)
        "Authorization": f"Bearer {key}", "Content-Type": "application/json"})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (loopback)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def access_codes(log: Path, since: int) -> tuple[Counter, int]:
    lines = log.read_text(errors="replace").splitlines()
    codes = Counter(m.group(1) for line in lines[since:] if (m := STATUS.search(line)))
    return codes, len(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=12)
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/1")
    args = parser.parse_args()
    os.environ["REDIS_URL"] = args.redis_url
    setup_django(args.database_url)
    from django.db import connection

    stamp = time.time_ns()
    burst_org = prepare(f"burst-{stamp}", 600)
    load_org = prepare(f"load-{stamp}", 10_000_000)
    database = connection.settings_dict["NAME"]
    connection.close()

    work = Path(tempfile.mkdtemp(prefix="engage-load-"))
    application = f"engage-load-{stamp}"
    env = {
        **os.environ, "DEBUG": "false", "ALLOWED_HOSTS": "127.0.0.1", "STATIC_ROOT": str(work / "static"),
        "WEB_CONCURRENCY": str(WEB_CONCURRENCY), "WEB_THREADS": str(WEB_THREADS), "DATABASE_POOL_SIZE": str(POOL),
        "DATABASE_URL": f"{args.database_url}?application_name={application}",
        "SECURE_COOKIES": "false",  # plain HTTP on loopback: the portal's cookies must come back
    }  # fmt: skip
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=BASE_DIR, env=env, check=True
    )
    address = f"127.0.0.1:{free_port()}"
    log = work / "access.log"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py"],
        cwd=BASE_DIR, env={**env, "WEB_BIND": address}, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://{address}"
    try:
        assert wait_until(lambda: _up(base), timeout=60), "the server did not start"
        _, seen = access_codes(log, 0)

        # 1. The burst.
        body = (
            b'{"fromAddress": {"email": "%s"}, "toAddresses": [{"email": "reader@example.com"}],'
            b' "subject": "Burst", "textBody": "Hello"}' % burst_org["LOAD_SENDER"].encode()
        )
        watch = ConnectionWatch(database, application)
        started = time.perf_counter()
        with ThreadPoolExecutor(BURST_THREADS) as pool:
            replies = Counter(pool.map(lambda _: post(f"{base}/api/v1/conversations/emails/agentless", body,
                                                      burst_org["LOAD_AGENTLESS_KEY"]), range(BURST)))  # fmt: skip
        elapsed = time.perf_counter() - started
        held = watch.finish()
        time.sleep(1)
        codes, seen = access_codes(log, seen)
        errors = sum(n for code, n in codes.items() if code.startswith("5"))
        print(f"burst: {dict(replies)} in {elapsed:.1f} s (server's log: {dict(codes)}), {held} connections at most")
        report("load_burst_5xx", errors, "responses", "0", errors == 0)
        ok = replies.get(202, 0) == BURST - 1 and replies.get(429, 0) == 1
        report("load_burst_202", replies.get(202, 0), "responses", f"{BURST - 1} (and 1 × 429)", ok)
        report("load_burst_pg_connections", held, "connections", f"<= {WEB_CONCURRENCY * POOL}",
               held <= WEB_CONCURRENCY * POOL)  # fmt: skip

        # 2. The locust mix.
        watch = ConnectionWatch(database, application)
        prefix = work / "locust"
        subprocess.run(
            [str(Path(sys.executable).parent / "locust"), "-f", "bench/locustfile.py", "--headless",
             "-u", str(args.users), "-r", str(args.users), "-t", f"{args.seconds}s", "--host", base,
             "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"],
            cwd=BASE_DIR, env={**os.environ, **load_org}, check=False,
        )  # fmt: skip
        held = watch.finish()
        time.sleep(1)
        codes, seen = access_codes(log, seen)
        errors = sum(n for code, n in codes.items() if code.startswith("5"))
        print(f"locust: server's log {dict(codes)}, {held} connections at most")
        report("load_locust_5xx", errors, "responses", "0", errors == 0)
        report("load_locust_pg_connections", held, "connections", f"<= {WEB_CONCURRENCY * POOL}",
               held <= WEB_CONCURRENCY * POOL)  # fmt: skip
        with open(f"{prefix}_stats.csv") as stats:
            for row in csv.DictReader(stats):
                name = row["Name"].replace(" ", "_")
                if row["Name"] == "Aggregated":
                    report(
                        "load_requests_per_second", float(row["Requests/s"]), "requests/s", "as high as it holds", None
                    )
                    continue
                report(f"load_{name}_requests_per_second", float(row["Requests/s"]), "requests/s", "recorded", None)
                if row["Name"] == "event":
                    p99 = float(row["99%"])
                    report("load_event_p99_ms", p99, "ms", "<= 500", p99 <= 500)
    finally:
        server.terminate()
        server.wait(timeout=60)


def _up(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:  # noqa: S310 (loopback)
            return response.status == 200
    except OSError:
        return False


if __name__ == "__main__":
    main()
