"""Work done in batches: configuration looked up once per batch, leases kept while it lasts."""

import uuid

import pytest

from engage.lib import memo
from notifications import mailsettings, services
from notifications.models import MailSettings, OutboundMessage
from notifications.services import RenderedMail, enqueue_mail


def test_a_memo_computes_once_per_batch_and_always_outside_one():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert [memo.remembered("k", compute), memo.remembered("k", compute)] == [1, 2]
    with memo.batch():
        assert [memo.remembered("k", compute), memo.remembered("k", compute)] == [3, 3]
    with memo.batch():
        assert memo.remembered("k", compute) == 4


def test_changed_mail_settings_apply_to_the_next_batch(alice_org):
    with memo.batch():
        before = mailsettings.default_from(alice_org)
        MailSettings.objects.create(organization=alice_org, use_host_settings=False, from_email="news@alice.example")
        assert mailsettings.default_from(alice_org) == before
    assert mailsettings.default_from(alice_org) == "news@alice.example"


@pytest.fixture
def two_queued(alice_org):
    mail = RenderedMail(subject="Hi", text="Hello")
    return [enqueue_mail(organization=alice_org, to=f"{n}@example.com", mail=mail) for n in ("one", "two")]


def test_a_long_batch_skips_mails_another_sender_took_over(two_queued, settings, mailoutbox, monkeypatch):
    settings.ENGAGE_RUN_LEASE_SECONDS = 0  # every mail counts as "long after the last renewal"
    first, second = two_queued
    send_one = services._send_one

    def send_and_lose_the_second(message, connection):
        # While the first mail goes out, the second's lease runs out and another sender claims it.
        OutboundMessage.objects.filter(pk=second.pk).update(claim_token=uuid.uuid4())
        return send_one(message, connection)

    monkeypatch.setattr(services, "_send_one", send_and_lose_the_second)
    assert services.deliver([first.pk, second.pk]) == 1
    assert [m.to for m in mailoutbox] == [["one@example.com"]]
    second.refresh_from_db()
    assert second.status == OutboundMessage.Status.SENDING  # the other sender's, untouched
