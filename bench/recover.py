"""Recovery in seconds, with real processes on PostgreSQL + Redis and a mail sink:

- `recover_after_sigkill_seconds`: the task cluster and the dispatcher are killed (SIGKILL,
  whole process groups) in the middle of sending, then started again: seconds from the
  restart to the first mail of the dead cluster's runs that arrives;
- `recover_after_db_outage_seconds`: the workers' connections to PostgreSQL are cut for
  2.5 s (a TCP proxy on loopback, the server itself keeps running for everyone else):
  seconds from the database's return to the next mail;
- `recover_after_redis_flush_seconds`: FLUSHDB of the broker's Redis database while runs and
  mails are claimed and their tasks queued (the tasks are lost): seconds from the flush to
  the first mail of a run or mail whose claim no worker had started then;
- `stop_after_sigterm_seconds`: SIGTERM to the cluster's main process while it sends: until
  every process of the cluster has exited.

Leases are five minutes, so a figure under a minute means nothing waited for a lease. Every
run must end succeeded with one mail each; mails sent twice are counted.

    python bench/recover.py [--database-url postgres://…/engage_bench] [--redis-url redis://…/1]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time

from common import BASE_DIR, DEFAULT_PG, free_port, report, setup_django, wait_until

RUNS = 300
TARGET_SECONDS = 15.0
STOP_TARGET_SECONDS = 10.0


class Inbox:
    """Accepts every mail after 20 ms and notes when it arrived."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, str]] = []

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.02)
        self.arrivals += [(time.monotonic(), recipient) for recipient in envelope.rcpt_tos]
        return "250 OK"

    def first_after(self, moment: float) -> float | None:
        later = [at for at, _ in self.arrivals if at > moment]
        return min(later) - moment if later else None


def start(name: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", name], cwd=BASE_DIR, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def kill(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    process.wait(timeout=30)


def group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def due_runs(slug: str) -> None:
    """An organization whose RUNS contacts each get a mail from one automation, now."""
    from pipeline import prepare

    from engage.events import NewEvent, record_events

    organization, contacts = prepare(slug, RUNS)
    events = [NewEvent(type="custom", name="shipped", contact=c, payload={"order": c.pk}) for c in contacts]
    record_events(organization=organization, events=events)


def outcome(slug: str, inbox: Inbox) -> str:
    from automations.models import Run
    from notifications.models import OutboundMessage

    runs = Run.objects.filter(automation__organization__slug=slug)
    ok = runs.filter(status=Run.Status.SUCCEEDED).count()
    mails = OutboundMessage.objects.filter(organization__slug=slug)
    mine = [to for _, to in inbox.arrivals if to.endswith(f"@{slug}.example")]
    return f"{ok}/{RUNS} runs succeeded, {mails.count()} mails queued, {len(mine) - len(set(mine))} sent twice"


def unstarted(slug: str) -> set[str]:
    """The recipients of the runs and mails claimed but not yet started by a worker."""
    from automations.models import Run
    from notifications.models import OutboundMessage

    runs = Run.objects.filter(automation__organization__slug=slug, status=Run.Status.RUNNING, holder="")
    mails = OutboundMessage.objects.filter(organization__slug=slug, status=OutboundMessage.Status.SENDING, holder="")
    return set(runs.values_list("contact__email", flat=True)) | set(mails.values_list("contact__email", flat=True))


def everything_sent(slug: str):
    from notifications.models import OutboundMessage

    sent = OutboundMessage.objects.filter(organization__slug=slug, status=OutboundMessage.Status.SENT)
    return lambda: sent.count() >= RUNS


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/1")
    args = parser.parse_args()
    os.environ["REDIS_URL"] = args.redis_url  # this process enqueues too
    setup_django(args.database_url)
    sys.path.insert(0, str(BASE_DIR))
    import redis
    from aiosmtpd.controller import Controller
    from django.db import connection

    from tests.tcpproxy import Proxy

    inbox, port = Inbox(), free_port()
    sink = Controller(inbox, hostname="127.0.0.1", port=port)
    sink.start()
    db = connection.settings_dict
    proxy = Proxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@127.0.0.1:{proxy.port}/{db['NAME']}",
        "REDIS_URL": args.redis_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "Q_WORKERS": "2",
        "ENGAGE_LEASE_SECONDS": "300",
    }
    stamp = time.time_ns()
    processes: list[subprocess.Popen] = []
    try:
        # 1. SIGKILL of the whole cluster and the dispatcher, then a restart.
        slug = f"recover-kill-{stamp}"
        due_runs(slug)
        processes += [start("qcluster", env), start("dispatcher", env)]
        wait_until(lambda: len(inbox.arrivals) >= 20, timeout=120)
        for process in processes:
            kill(process)
        time.sleep(1)
        restarted = time.monotonic()
        processes = [start("qcluster", env), start("dispatcher", env)]
        done = wait_until(everything_sent(slug), timeout=240)
        resumed = inbox.first_after(restarted)
        print(f"after SIGKILL: {outcome(slug, inbox)}" + ("" if done else " (timed out)"))
        report("recover_after_sigkill_seconds", resumed or -1, "s", f"<= {TARGET_SECONDS:.0f}",
               resumed is not None and done and resumed <= TARGET_SECONDS)  # fmt: skip

        # 2. The database unreachable for 2.5 s.
        slug = f"recover-db-{stamp}"
        due_runs(slug)
        wait_until(lambda: sum(to.endswith(f"@{slug}.example") for _, to in inbox.arrivals) >= 20, timeout=120)
        proxy.cut()
        time.sleep(2.5)
        proxy.restore()
        back = time.monotonic()
        done = wait_until(everything_sent(slug), timeout=240)
        resumed = inbox.first_after(back)
        print(f"after a 2.5 s database outage: {outcome(slug, inbox)}" + ("" if done else " (timed out)"))
        report("recover_after_db_outage_seconds", resumed or -1, "s", f"<= {TARGET_SECONDS:.0f}",
               resumed is not None and done and resumed <= TARGET_SECONDS)  # fmt: skip

        # 3. The broker's Redis database flushed: the queued tasks are lost.
        slug = f"recover-flush-{stamp}"
        due_runs(slug)
        wait_until(lambda: sum(to.endswith(f"@{slug}.example") for _, to in inbox.arrivals) >= 20, timeout=120)
        flushed = time.monotonic()
        redis.from_url(args.redis_url).flushdb()
        lost = unstarted(slug)
        done = wait_until(everything_sent(slug), timeout=240)
        later = [at - flushed for at, to in inbox.arrivals if at > flushed and to in lost]
        resumed = min(later) if later else None
        print(f"after a Redis flush ({len(lost)} claims nobody had started): {outcome(slug, inbox)}"
              + ("" if done else " (timed out)"))  # fmt: skip
        report("recover_after_redis_flush_seconds", resumed or -1, "s", f"<= {TARGET_SECONDS:.0f}",
               bool(lost) and resumed is not None and done and resumed <= TARGET_SECONDS)  # fmt: skip

        # 4. SIGTERM to the cluster's main process while it sends.
        slug = f"recover-stop-{stamp}"
        due_runs(slug)
        wait_until(lambda: sum(to.endswith(f"@{slug}.example") for _, to in inbox.arrivals) >= 20, timeout=120)
        cluster = processes[0]
        asked = time.monotonic()
        cluster.send_signal(signal.SIGTERM)
        wait_until(lambda: cluster.poll() is not None and group_gone(cluster.pid), timeout=60)
        stopped = time.monotonic() - asked
        processes[0] = start("qcluster", env)
        done = wait_until(everything_sent(slug), timeout=240)
        print(f"after SIGTERM and a restart: {outcome(slug, inbox)}" + ("" if done else " (timed out)"))
        report("stop_after_sigterm_seconds", stopped, "s", f"<= {STOP_TARGET_SECONDS:.0f}",
               done and stopped <= STOP_TARGET_SECONDS)  # fmt: skip
    finally:
        for process in processes:
            kill(process, signal.SIGKILL)
        proxy.close()
        sink.stop()


if __name__ == "__main__":
    main()
