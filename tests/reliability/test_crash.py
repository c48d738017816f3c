"""A worker killed with SIGKILL in the middle of a batch: after a restart every run is
executed exactly once (one run result, one mail record per run) and every mail is sent;
also on a machine whose every core is busy with something else."""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.utils import timezone

from automations.models import Run
from engage.events import record_event
from notifications.models import OutboundMessage
from notifications.services import SENT_FLUSH_SECONDS
from tests.conftest import Inbox, free_port
from tests.factories import AutomationFactory, ContactFactory, OrganizationFactory
from tests.reliability.test_worker_processes import database_url, wait_for

RUNS = 60


class SlowInbox(Inbox):
    """Accepts every mail, 50 ms each, so that a batch takes a few seconds."""

    DELAY = 0.05

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.DELAY)
        return await super().handle_DATA(server, session, envelope)


def start(*command: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *command],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so that it can be killed whole
    )


def kill_group(process: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def busy_loop() -> None:
    while True:
        pass


@pytest.fixture
def cpu_load():
    """A busy-loop process per core for the length of the test: the workers' tasks wait
    in a backed-up queue, longer than their leases, and are claimed again meanwhile."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    hogs = [context.Process(target=busy_loop, daemon=True) for _ in range(os.cpu_count() or 1)]
    for hog in hogs:
        hog.start()
    yield
    for hog in hogs:
        hog.kill()
        hog.join()


@pytest.mark.django_db(transaction=True)
def test_sigkill_mid_batch_then_restart_executes_every_run_exactly_once(monkeypatch):
    sigkill_mid_batch_then_restart(monkeypatch)


@pytest.mark.django_db(transaction=True)
def test_sigkill_mid_batch_then_restart_executes_every_run_exactly_once_under_cpu_load(monkeypatch, cpu_load):
    sigkill_mid_batch_then_restart(monkeypatch)


def sigkill_mid_batch_then_restart(monkeypatch) -> None:
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    inbox = SlowInbox()
    port = free_port()
    sink = Controller(inbox, hostname="127.0.0.1", port=port)
    sink.start()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "engage.settings",
        "DEBUG": "true",
        "DATABASE_URL": database_url(),
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "Q_WORKERS": "1",
        "Q_TIMEOUT": "5",
        "Q_RETRY": "8",
        "ENGAGE_LEASE_SECONDS": "10",
    }
    processes = []
    try:
        organization = OrganizationFactory()
        AutomationFactory(organization=organization, delay_unit="minutes", delay_value=1)
        for contact in ContactFactory.create_batch(RUNS, organization=organization):
            record_event(organization=organization, type="contact_created", contact=contact)
        Run.objects.update(due_at=timezone.now() - timedelta(seconds=1))

        first = [start("qcluster", env=env), start("dispatcher", env=env)]
        processes += first
        assert wait_for(lambda: len(inbox.messages) >= 5, timeout=60), "the first batch never started"
        for process in first:
            kill_group(process, signal.SIGKILL)
        delivered_before_restart = len(inbox.messages)
        assert delivered_before_restart < RUNS, "the batch finished before the kill: nothing was tested"

        processes += [start("qcluster", env=env), start("dispatcher", env=env)]
        everything_done = lambda: (  # noqa: E731
            Run.objects.filter(status=Run.Status.SUCCEEDED).count() == RUNS
            and OutboundMessage.objects.filter(status=OutboundMessage.Status.SENT).count() == RUNS
        )
        assert wait_for(everything_done, timeout=90), {
            "runs": list(Run.objects.values_list("status", flat=True)),
            "messages": list(OutboundMessage.objects.values_list("status", flat=True)),
        }
        # Exactly once in our records: one run result and one mail per run.
        assert OutboundMessage.objects.count() == RUNS
        assert set(OutboundMessage.objects.values_list("run_id", flat=True)) == set(
            Run.objects.values_list("pk", flat=True)
        )
        # Every contact got its mail. SMTP has no exactly-once: mails the server accepted
        # before the kill but not yet recorded as sent (they are recorded together, every
        # SENT_FLUSH_SECONDS) are sent again, with the same Message-ID; so is the one in
        # transmission, which this sink keeps although the client vanished.
        recipients = [m["To"] for m in inbox.messages]
        assert len(set(recipients)) == RUNS
        accepted_per_flush = SENT_FLUSH_SECONDS / SlowInbox.DELAY
        assert len(recipients) - RUNS <= accepted_per_flush + 2
    finally:
        for process in processes:
            if process.poll() is None:
                kill_group(process, signal.SIGTERM)
        sink.stop()
        time.sleep(0.1)
