"""Per-process heartbeats and giving claims back at once (engage/heartbeat.py,
engage/recovery.py, engage/lib/leases.py). The same with real processes is in
tests/reliability/test_recovery.py."""

import os
import socket
import uuid
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from automations import tasks
from automations.models import Run
from automations.services import claim_runs
from engage import heartbeat, recovery
from engage.events import record_event
from engage.lib import leases, processes
from engage.models import ProcessHeartbeat
from notifications.models import OutboundMessage
from tests.factories import AutomationFactory, ContactFactory

OTHER_HOST = "another-machine"


@pytest.fixture
def due_runs(alice_org):
    AutomationFactory(organization=alice_org, delay_unit="minutes", delay_value=1)
    for contact in ContactFactory.create_batch(3, organization=alice_org):
        record_event(organization=alice_org, type="contact_created", contact=contact)
    Run.objects.update(due_at=timezone.now() - timedelta(seconds=1))


def cluster_row(name: str, *, silent_for: float, host: str = OTHER_HOST, kind: str = "workers", pid: int = 4711):
    beat_at = timezone.now() - timedelta(seconds=silent_for)
    return ProcessHeartbeat.objects.create(
        name=name, kind=kind, host=host, pid=pid, started_at=beat_at, beat_at=beat_at
    )


def held_by(holder: str) -> uuid.UUID:
    """Claim every due run and start on it as `holder` would (attempt counted)."""
    claimed = claim_runs()
    own = leases.take_over(Run, claimed.token, status=Run.Status.RUNNING, holder=holder)
    assert own is not None
    return own


def test_a_claim_has_no_holder_until_a_worker_takes_it_over(due_runs):
    claimed = claim_runs()
    assert set(Run.objects.values_list("holder", flat=True)) == {""}
    leases.take_over(Run, claimed.token, status=Run.Status.RUNNING)
    assert set(Run.objects.values_list("holder", flat=True)) == {processes.identity()}


def test_the_runs_of_a_cluster_that_stopped_beating_are_given_back_and_run_once(due_runs, settings):
    cluster_row("workers-a", silent_for=settings.ENGAGE_PROCESS_STALE_SECONDS + 1)
    held_by("workers-a/101")

    recovery.give_back_dead()

    # Handed on at once (tasks run inline here): each run executed once, one mail each.
    assert set(Run.objects.values_list("status", flat=True)) == {Run.Status.SUCCEEDED}
    assert OutboundMessage.objects.count() == 3
    # The dead worker had started on them: that attempt counts, as after any crash.
    assert set(Run.objects.values_list("attempts", flat=True)) == {2}
    assert not ProcessHeartbeat.objects.filter(name="workers-a").exists()


def test_the_runs_of_a_cluster_that_beats_are_left_alone(due_runs, settings):
    cluster_row("workers-b", silent_for=settings.ENGAGE_PROCESS_STALE_SECONDS - 2)
    own = held_by("workers-b/102")

    recovery.give_back_dead()

    assert set(Run.objects.values_list("status", "claim_token")) == {(Run.Status.RUNNING, own)}


def test_a_silent_process_that_still_runs_on_this_machine_is_not_taken_for_dead(due_runs, settings):
    # This test's own process, of a kind whose command it runs: alive, however long silent.
    cluster_row(
        "slow-c", silent_for=settings.ENGAGE_PROCESS_STALE_SECONDS + 60, host=socket.gethostname(),
        kind="pytest", pid=os.getpid(),
    )  # fmt: skip
    own = held_by("slow-c/103")

    recovery.give_back_dead()

    assert set(Run.objects.values_list("claim_token", flat=True)) == {own}


def test_claims_nobody_started_before_a_cluster_started_are_given_back(due_runs):
    claimed = claim_runs()
    started = timezone.now() + timedelta(seconds=1)

    assert recovery.give_back_unstarted(started) == 3

    # Handed on and executed; the task still queued under the old token finds nothing.
    assert set(Run.objects.values_list("status", "attempts")) == {(Run.Status.SUCCEEDED, 1)}
    assert tasks.execute_runs(str(claimed.token)) == 0


def test_claims_made_after_the_cluster_started_or_already_started_are_kept(due_runs):
    started = timezone.now() - timedelta(seconds=30)
    claim_runs()

    assert recovery.give_back_unstarted(started) == 0
    assert set(Run.objects.values_list("status", flat=True)) == {Run.Status.RUNNING}


def test_a_stopping_cluster_gives_a_task_s_runs_back_without_counting(due_runs, monkeypatch):
    claimed = claim_runs()
    monkeypatch.setattr(processes, "stopping", lambda: True)

    assert tasks.execute_runs(str(claimed.token)) == 0

    assert set(Run.objects.values_list("status", "attempts", "claim_token")) == {(Run.Status.SCHEDULED, 0, None)}


def test_a_task_that_lost_the_database_gives_its_runs_back_uncounted_and_they_run(due_runs, monkeypatch):
    claimed = claim_runs()

    def lose_the_database(token):
        leases.take_over(Run, token, status=Run.Status.RUNNING)  # started, then the server went away
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(recovery, "database_lost", lambda exc: isinstance(exc, OperationalError))
    monkeypatch.setattr(recovery, "wait_for_database", lambda seconds: True)  # it is back at once
    assert recovery.run_claimed(Run, str(claimed.token), lose_the_database) == 0

    assert set(Run.objects.values_list("status", "attempts")) == {(Run.Status.SUCCEEDED, 1)}
    assert OutboundMessage.objects.count() == 3


def test_a_query_that_fails_on_a_working_connection_is_not_a_lost_database(db):
    assert not recovery.database_lost(OperationalError("canceling statement due to statement timeout"))


def test_a_process_beats_under_its_name_and_its_row_goes_when_it_ends(db):
    processes.take_name("dispatcher")
    heartbeat.beat_process("dispatcher")
    heartbeat.beat_process("dispatcher")
    row = ProcessHeartbeat.objects.get()
    assert (row.name, row.kind, row.pid) == (processes.name(), "dispatcher", os.getpid())
    assert processes.identity() == f"{processes.name()}/{os.getpid()}"

    heartbeat.end_process()
    assert not ProcessHeartbeat.objects.exists()


@pytest.fixture
def redis_broker():
    from django_q.brokers.redis_broker import Redis

    broker = Redis(list_key=f"recovery-{uuid.uuid4().hex[:8]}")
    yield broker
    broker.connection.delete(recovery.broker_mark(broker))


@pytest.mark.redis
def test_claims_nobody_started_are_given_back_when_the_broker_lost_its_tasks(due_runs, redis_broker):
    redis_broker.connection.set(recovery.broker_mark(redis_broker), "1")
    claimed = claim_runs()
    assert recovery.give_back_if_broker_lost(redis_broker) == 0  # the mark is there: nothing was lost
    assert set(Run.objects.values_list("status", "claim_token")) == {(Run.Status.RUNNING, claimed.token)}

    redis_broker.connection.delete(recovery.broker_mark(redis_broker))  # as FLUSHDB does
    assert recovery.give_back_if_broker_lost(redis_broker) == 3

    # Handed on and executed once; the mark is set again, so the next look gives back nothing.
    assert set(Run.objects.values_list("status", "attempts")) == {(Run.Status.SUCCEEDED, 1)}
    assert OutboundMessage.objects.count() == 3
    assert tasks.execute_runs(str(claimed.token)) == 0
    assert recovery.give_back_if_broker_lost(redis_broker) == 0


@pytest.mark.redis
def test_claims_a_worker_started_are_kept_when_the_broker_lost_its_tasks(due_runs, redis_broker):
    own = held_by(processes.identity())
    assert recovery.give_back_if_broker_lost(redis_broker) == 0
    assert set(Run.objects.values_list("status", "claim_token")) == {(Run.Status.RUNNING, own)}


def test_a_broker_in_the_database_has_no_mark_and_gives_back_nothing(due_runs):
    from django_q.brokers.orm import ORM

    claim_runs()
    assert recovery.give_back_if_broker_lost(ORM(list_key="recovery")) == 0
    assert set(Run.objects.values_list("status", flat=True)) == {Run.Status.RUNNING}
