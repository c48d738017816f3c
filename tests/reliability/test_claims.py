"""Several workers, one run: a run is executed by exactly one of them.

These tests use real threads with their own database connections; in CI they also run
against PostgreSQL (where SKIP LOCKED and row locks do the work).
"""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from automations.models import Run
from automations.services import claim_runs, execute_runs
from engage.events import record_event
from tests.factories import AutomationFactory, ContactFactory


def in_threads(count: int, work) -> list:
    """Run `work()` in `count` threads that start together; return their results."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def target(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = work()
        except Exception as exc:  # reported below, with the thread's traceback lost otherwise
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def scheduled_runs(count: int) -> list[Run]:
    """`count` runs due in a minute, so that nothing starts them before the test does."""
    automation = AutomationFactory(delay_unit="minutes", delay_value=1)
    for contact in ContactFactory.create_batch(count, organization=automation.organization):
        record_event(organization=automation.organization, type="contact_created", contact=contact)
    return list(Run.objects.all())


LATER = timedelta(minutes=2)


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_the_same_run_only_one_gets_it(smtp_server):
    [run] = scheduled_runs(1)
    later = timezone.now() + LATER

    tokens = in_threads(2, lambda: claim_runs(ids=[run.pk], now=later))
    assert sorted(token is None for token in tokens) == [False, True]
    winner = next(claim.token for claim in tokens if claim)

    # The broker delivers the winner's task twice, to two workers at once: one executes.
    executed = in_threads(2, lambda: execute_runs(winner))
    assert sorted(executed) == [0, 1]
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED
    assert run.attempts == 1
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_four_dispatchers_split_many_due_runs_without_overlap():
    scheduled_runs(120)
    later = timezone.now() + LATER

    # Runs are only claimed here, not executed: the question is who gets which.
    def drain() -> list:
        claimed = []
        while (claim := claim_runs(limit=7, now=later)) is not None:
            claimed.extend(Run.objects.filter(claim_token=claim.token).values_list("pk", flat=True))
        return claimed

    per_worker = in_threads(4, drain)
    counts = Counter(pk for claimed in per_worker for pk in claimed)
    assert len(counts) == 120
    assert set(counts.values()) == {1}
    assert set(Run.objects.values_list("attempts", flat=True)) == {0}  # a claim is not an attempt
