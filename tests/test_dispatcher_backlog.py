"""The dispatcher holds due runs back while tasks already wait for the workers, so that
they are claimed together instead of as many small tasks behind each other."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from automations.dispatcher import dispatch, workers_backed_up
from automations.models import Run
from engage.events import record_event
from tests.factories import AutomationFactory, ContactFactory


@dataclass
class Broker:
    waiting: int

    def queue_size(self) -> int:
        return self.waiting


def a_due_run(organization) -> Run:
    AutomationFactory(organization=organization, delay_unit="minutes", delay_value=1)
    record_event(organization=organization, type="contact_created", contact=ContactFactory(organization=organization))
    Run.objects.update(due_at=timezone.now() - timedelta(seconds=1))
    return Run.objects.get()


def test_workers_are_backed_up_when_as_many_tasks_wait_as_there_are_workers(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "workers": 2}
    assert [workers_backed_up(Broker(n)) for n in (0, 1, 2, 5)] == [False, False, True, True]


def test_a_broker_that_cannot_tell_does_not_hold_anything_back():
    class Silent:
        def queue_size(self):
            raise ConnectionError("no answer")

    assert not workers_backed_up(Silent())


def test_due_runs_wait_while_the_workers_are_backed_up(alice_org, settings, mailoutbox):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "workers": 2}
    run = a_due_run(alice_org)

    assert dispatch(Broker(2), batch=100) == 0
    run.refresh_from_db()
    assert run.status == Run.Status.SCHEDULED

    assert dispatch(Broker(0), batch=100) == 1
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED
