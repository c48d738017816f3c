"""The dispatcher also holds due runs back while claimed batches wait for a worker that a
cluster has already taken from the broker (the broker no longer counts them)."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from automations.dispatcher import WAITING_AT_MOST_SECONDS, dispatch
from automations.models import Run
from automations.services import claim_runs
from engage.events import record_event
from engage.lib.leases import take_over
from tests.factories import AutomationFactory, ContactFactory


@dataclass
class EmptyBroker:
    def queue_size(self) -> int:
        return 0


@pytest.fixture
def two_workers(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "workers": 2}
    settings.ENGAGE_WORKER_CLUSTERS = 1


def due_runs(organization, count: int) -> list[Run]:
    AutomationFactory(organization=organization, delay_unit="minutes", delay_value=1)
    for _ in range(count):
        contact = ContactFactory(organization=organization)
        record_event(organization=organization, type="contact_created", contact=contact)
    Run.objects.update(due_at=timezone.now() - timedelta(minutes=1))
    return list(Run.objects.order_by("pk"))


def test_due_runs_wait_while_as_many_claimed_batches_wait_as_there_are_workers(alice_org, two_workers):
    first, second, due = due_runs(alice_org, 3)
    claim_runs(ids=[first.pk])
    claim_runs(ids=[second.pk])

    assert dispatch(EmptyBroker(), batch=100) == 0
    due.refresh_from_db()
    assert due.status == Run.Status.SCHEDULED


def test_a_batch_a_worker_started_does_not_hold_back(alice_org, two_workers):
    first, second, due = due_runs(alice_org, 3)
    claim_runs(ids=[first.pk])
    started = claim_runs(ids=[second.pk])
    take_over(Run, started.token, status=Run.Status.RUNNING)

    assert dispatch(EmptyBroker(), batch=100) == 1
    due.refresh_from_db()
    assert due.status == Run.Status.SUCCEEDED


def test_workers_of_every_cluster_count(alice_org, two_workers, settings):
    settings.ENGAGE_WORKER_CLUSTERS = 2
    first, second, _ = due_runs(alice_org, 3)
    claim_runs(ids=[first.pk])
    claim_runs(ids=[second.pk])

    assert dispatch(EmptyBroker(), batch=100) == 1


def test_claims_waiting_too_long_no_longer_hold_back(alice_org, two_workers):
    """Their task may have died with a killed cluster: they must not stop the dispatcher."""
    first, second, due = due_runs(alice_org, 3)
    long_ago = timezone.now() - timedelta(seconds=WAITING_AT_MOST_SECONDS + 1)
    claim_runs(ids=[first.pk], now=long_ago)
    claim_runs(ids=[second.pk], now=long_ago)

    assert dispatch(EmptyBroker(), batch=100) == 1
    due.refresh_from_db()
    assert due.status == Run.Status.SUCCEEDED
