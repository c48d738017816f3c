"""Leases and retries shared by the automation engine and the outbox (engage/lib/leases.py)."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from automations.models import Run
from automations.services import claim_runs
from engage.events import record_event
from engage.lib.leases import backoff, renew
from notifications.models import OutboundMessage
from notifications.services import RenderedMail, claim_messages, enqueue_mail
from tests.factories import AutomationFactory, ContactFactory


def test_backoff_doubles_from_a_minute_up_to_an_hour():
    assert [backoff(attempts) for attempts in range(1, 9)] == [
        timedelta(minutes=minutes) for minutes in (1, 2, 4, 8, 16, 32, 60, 60)
    ]


def test_backoff_takes_its_own_base_and_cap():
    delays = [backoff(attempts, base=timedelta(seconds=10), cap=timedelta(seconds=25)) for attempts in (1, 2, 3, 4)]
    assert delays == [timedelta(seconds=s) for s in (10, 20, 25, 25)]


def test_backoff_stays_at_the_cap_however_many_attempts():
    assert backoff(10_000) == timedelta(hours=1)


@pytest.fixture
def three_claimed_runs(alice_org):
    AutomationFactory(organization=alice_org, delay_unit="minutes", delay_value=1)
    for contact in ContactFactory.create_batch(3, organization=alice_org):
        record_event(organization=alice_org, type="contact_created", contact=contact)
    Run.objects.update(due_at=timezone.now() - timedelta(seconds=1))
    claimed = claim_runs()
    assert claimed is not None and claimed.size == 3
    return claimed.token, list(Run.objects.order_by("pk"))


def test_renew_extends_only_the_runs_still_held_under_the_token(three_claimed_runs, settings):
    token, (held, taken, finished) = three_claimed_runs
    Run.objects.filter(pk=taken.pk).update(claim_token=uuid.uuid4())  # another worker's now
    Run.objects.filter(pk=finished.pk).update(status=Run.Status.SUCCEEDED)
    before = {run.pk: run.lease_expires_at for run in (held, taken, finished)}
    later = timezone.now() + timedelta(minutes=3)

    assert renew(Run, token, status=Run.Status.RUNNING, now=later) == {held.pk}

    leases = dict(Run.objects.values_list("pk", "lease_expires_at"))
    assert leases[held.pk] == later + timedelta(seconds=settings.ENGAGE_LEASE_SECONDS)
    assert leases[taken.pk] == before[taken.pk]
    assert leases[finished.pk] == before[finished.pk]


def test_renew_returns_the_mails_still_held_under_the_token(alice_org, settings):
    mail = RenderedMail(subject="Hi", text="Hello")
    ids = [enqueue_mail(organization=alice_org, to=f"{n}@example.com", mail=mail).pk for n in range(3)]
    claimed = claim_messages(ids=ids, limit=3)
    assert claimed is not None and claimed.size == 3
    held, taken, sent = ids
    OutboundMessage.objects.filter(pk=taken).update(claim_token=uuid.uuid4())
    OutboundMessage.objects.filter(pk=sent).update(status=OutboundMessage.Status.SENT)
    before = dict(OutboundMessage.objects.values_list("pk", "lease_expires_at"))
    later = timezone.now() + timedelta(minutes=3)

    assert renew(OutboundMessage, claimed.token, status=OutboundMessage.Status.SENDING, now=later) == {held}

    leases = dict(OutboundMessage.objects.values_list("pk", "lease_expires_at"))
    assert leases[held] == later + timedelta(seconds=settings.ENGAGE_LEASE_SECONDS)
    assert (leases[taken], leases[sent]) == (before[taken], before[sent])


def test_renew_under_a_token_that_holds_nothing_returns_nothing(db):
    assert renew(Run, uuid.uuid4(), status=Run.Status.RUNNING) == set()
