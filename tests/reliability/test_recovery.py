"""Recovery in seconds, with real processes: after the task cluster is killed and started
again, after the database was unreachable for a few seconds, and after SIGTERM. Leases are
five minutes here, so each test fails if its work waits for a lease to run out."""

import os
import signal
import subprocess
import time
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection
from django.utils import timezone

from automations.models import Run
from engage.events import record_event
from engage.models import ProcessHeartbeat
from notifications.models import OutboundMessage
from notifications.services import SENT_FLUSH_SECONDS
from tests.conftest import free_port
from tests.factories import AutomationFactory, ContactFactory, OrganizationFactory
from tests.reliability.test_crash import SlowInbox, kill_group, start
from tests.reliability.test_worker_processes import database_url, wait_for
from tests.tcpproxy import Proxy

RUNS = 40
# Far more than the recovery takes even on a busy machine, far less than a lease (300 s).
RESUMES_WITHIN = 120


@pytest.fixture
def sink():
    """A slow SMTP server on loopback: (its inbox, its port)."""
    inbox, port = SlowInbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def env(sink, monkeypatch):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "engage.settings",
        "DEBUG": "true",
        "DATABASE_URL": database_url(),
        "EMAIL_URL": f"smtp://127.0.0.1:{sink[1]}",
        "Q_WORKERS": "1",
        "Q_TIMEOUT": "60",
        "ENGAGE_LEASE_SECONDS": "300",
        "ENGAGE_PROCESS_STALE_SECONDS": "10",
    }


@pytest.fixture
def processes():
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            kill_group(process, signal.SIGKILL)


def due_runs(count: int = RUNS) -> None:
    organization = OrganizationFactory()
    AutomationFactory(organization=organization, delay_unit="minutes", delay_value=1)
    for contact in ContactFactory.create_batch(count, organization=organization):
        record_event(organization=organization, type="contact_created", contact=contact)
    Run.objects.update(due_at=timezone.now() - timedelta(seconds=1))


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def everything_done() -> bool:
    return (
        Run.objects.filter(status=Run.Status.SUCCEEDED).count() == RUNS
        and OutboundMessage.objects.filter(status=OutboundMessage.Status.SENT).count() == RUNS
    )


def state() -> dict:
    return {
        "runs": list(Run.objects.values_list("status", "attempts", "holder", "error")),
        "messages": list(OutboundMessage.objects.values_list("status", "attempts", "holder", "error")),
    }


def assert_exactly_once(inbox: SlowInbox) -> None:
    assert OutboundMessage.objects.count() == RUNS
    recipients = [message["To"] for message in inbox.messages]
    assert len(set(recipients)) == RUNS
    # As in the crash test: what the server accepted but was not yet recorded may go twice.
    assert len(recipients) - RUNS <= SENT_FLUSH_SECONDS / SlowInbox.DELAY + 2
    assert not Run.objects.exclude(status=Run.Status.SUCCEEDED).exists()


@pytest.mark.django_db(transaction=True)
def test_a_killed_cluster_s_runs_and_mails_resume_within_seconds_of_a_restart(sink, env, processes):
    inbox, _ = sink
    due_runs()
    first = [start("qcluster", env=env), start("dispatcher", env=env)]
    processes += first
    assert wait_for(lambda: len(inbox.messages) >= 5, timeout=120), "the first batch never started"
    for process in first:
        kill_group(process, signal.SIGKILL)
    assert len(inbox.messages) < RUNS, "everything was sent before the kill: nothing was tested"
    assert Run.objects.exclude(holder="").exists() or OutboundMessage.objects.exclude(holder="").exists()

    processes += [start("qcluster", env=env), start("dispatcher", env=env)]
    assert wait_for(everything_done, timeout=RESUMES_WITHIN), state()
    assert_exactly_once(inbox)


@pytest.mark.django_db(transaction=True)
def test_sigterm_to_the_cluster_stops_it_within_seconds_and_loses_nothing(sink, env, processes):
    inbox, _ = sink
    env = {**env, "ENGAGE_STOP_SECONDS": "8"}
    due_runs()
    cluster, dispatcher = start("qcluster", env=env), start("dispatcher", env=env)
    processes += [cluster, dispatcher]
    assert wait_for(lambda: len(inbox.messages) >= 5, timeout=120), "the first batch never started"
    asked = time.monotonic()
    cluster.send_signal(signal.SIGTERM)  # the main process only, as systemd's KillMode=mixed
    cluster.wait(timeout=30)
    stopped_after = time.monotonic() - asked
    assert stopped_after < 20, stopped_after  # ENGAGE_STOP_SECONDS, with room for a busy machine
    assert wait_for(lambda: not group_alive(cluster.pid), timeout=10), "a process of the cluster is left"
    assert len(inbox.messages) < RUNS, "everything was sent before the stop: nothing was tested"
    # Nothing is left held by the stopped cluster: it finished or gave back.
    assert not Run.objects.filter(status=Run.Status.RUNNING).exclude(holder="").exists(), state()
    assert not OutboundMessage.objects.filter(status=OutboundMessage.Status.SENDING).exclude(holder="").exists()
    assert not ProcessHeartbeat.objects.filter(kind="workers").exists()

    processes.append(start("qcluster", env=env))
    assert wait_for(everything_done, timeout=RESUMES_WITHIN), state()
    assert_exactly_once(inbox)
    assert len(inbox.messages) == RUNS  # a graceful stop sends nothing twice


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_work_resumes_within_seconds_after_the_database_was_unreachable(sink, env, processes):
    inbox, _ = sink
    db = connection.settings_dict
    proxy = Proxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    env = {
        **env,
        "DATABASE_URL": f"postgres://{db['USER']}@127.0.0.1:{proxy.port}/{db['NAME']}",
    }
    try:
        due_runs()
        processes += [start("qcluster", env=env), start("dispatcher", env=env)]
        assert wait_for(lambda: len(inbox.messages) >= 5, timeout=120), "the first batch never started"
        proxy.cut()
        time.sleep(3)
        proxy.restore()
        assert wait_for(everything_done, timeout=RESUMES_WITHIN), state()
        assert_exactly_once(inbox)
    finally:
        proxy.close()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_work_resumes_within_seconds_after_the_broker_s_redis_was_flushed(sink, env, processes):
    import redis
    from django_q.brokers import get_broker

    inbox, _ = sink
    # Small batches, so that tasks wait in the broker while the one worker sends.
    env = {**env, "ENGAGE_DISPATCH_BATCH_SIZE": "2"}
    queue = redis.from_url(settings.REDIS_URL)
    waiting = get_broker().list_key
    due_runs()
    processes += [start("qcluster", env=env), start("dispatcher", env=env)]
    assert wait_for(lambda: len(inbox.messages) >= 3, timeout=120), "the first batch never started"
    assert wait_for(lambda: queue.llen(waiting) > 0, timeout=60), "no task ever waited in the broker"
    queue.flushdb()  # the tasks waiting there are lost; their runs stay claimed
    assert len(inbox.messages) < RUNS, "everything was sent before the flush: nothing was tested"

    assert wait_for(everything_done, timeout=RESUMES_WITHIN), state()
    assert_exactly_once(inbox)
