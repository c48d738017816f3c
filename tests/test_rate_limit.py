"""The per-organization sending rate limit: shared by every worker, nothing dropped."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from notifications.models import OutboundMessage, SendQuota
from notifications.services import RenderedMail, deliver, dispatch_due_messages, enqueue_mail
from tests.factories import OrganizationFactory

MAIL = RenderedMail(subject="Hi", text="Hello")


def queue(organization, count: int) -> list[int]:
    return [enqueue_mail(organization=organization, to=f"r{i}@example.com", mail=MAIL).pk for i in range(count)]


def limit(organization, per_minute: int) -> None:
    SendQuota.objects.create(
        organization=organization, mails_per_minute=per_minute, tokens=per_minute, updated_at=timezone.now()
    )


def test_mails_over_the_limit_wait_for_the_bucket_to_refill(alice_org, charlie_org, smtp_server):
    limit(alice_org, 60)  # one a second, at most 60 at once
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        deliver(queue(alice_org, 100))
        deliver(queue(charlie_org, 100))  # another organization has its own (default) limit
    assert OutboundMessage.objects.filter(organization=alice_org, status="sent").count() == 60
    waiting = OutboundMessage.objects.filter(organization=alice_org, status="queued")
    assert waiting.count() == 40
    assert set(waiting.values_list("attempts", flat=True)) == {0}  # waiting is not a failed attempt
    assert OutboundMessage.objects.filter(organization=charlie_org, status="sent").count() == 100
    with time_machine.travel(start + timedelta(seconds=41), tick=False):
        while dispatch_due_messages():
            pass
    assert OutboundMessage.objects.filter(organization=alice_org, status="sent").count() == 100
    assert len(smtp_server.messages) == 200


@pytest.mark.django_db(transaction=True)
def test_two_workers_share_one_limit(smtp_server):
    organization = OrganizationFactory()
    limit(organization, 30)
    ids = queue(organization, 80)
    halves = [ids[:40], ids[40:]]
    barrier = threading.Barrier(2)

    def worker(batch):
        barrier.wait(timeout=10)
        try:
            deliver(batch)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(half,)) for half in halves]
    with time_machine.travel(timezone.now(), tick=False):  # no refill while they race
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert OutboundMessage.objects.filter(status="sent").count() == 30
    assert OutboundMessage.objects.filter(status="queued").count() == 50
    assert len(smtp_server.messages) == 30


def test_only_the_host_sets_an_organizations_rate_limit(client, alice, host_admin, alice_org):
    limit(alice_org, 60)
    quota = SendQuota.objects.get()
    client.force_login(alice)
    url = f"/admin/notifications/sendquota/{quota.pk}/change/"
    client.post(url, {"mails_per_minute": "100000"})
    assert SendQuota.objects.get().mails_per_minute == 60
    client.force_login(host_admin)
    form = {"organization": alice_org.pk, "mails_per_minute": "1200", "campaign_mails_per_minute": "6000"}
    assert client.post(url, form).status_code == 302
    assert (SendQuota.objects.get().mails_per_minute, SendQuota.objects.get().campaign_mails_per_minute) == (1200, 6000)


def test_a_rate_limit_added_by_the_host_starts_with_a_full_bucket(client, host_admin, alice_org):
    client.force_login(host_admin)
    form = {"organization": alice_org.pk, "mails_per_minute": "90", "campaign_mails_per_minute": "900"}
    assert client.post("/admin/notifications/sendquota/add/", form).status_code == 302
    quota = SendQuota.objects.get(organization=alice_org)
    assert (quota.mails_per_minute, quota.tokens) == (90, 90.0)
    assert (quota.campaign_mails_per_minute, quota.campaign_tokens) == (900, 900.0)


def queue_campaign(organization, count: int) -> list[int]:
    """Marketing mail: it carries List-Unsubscribe (as notifications.prepared sets it)."""
    headers = {"List-Unsubscribe": "<https://example.com/u>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return [
        enqueue_mail(organization=organization, to=f"c{i}@example.com", mail=MAIL, headers=headers).pk
        for i in range(count)
    ]


def test_campaign_mail_is_not_held_by_used_up_transactional_mail(alice_org, smtp_server):
    SendQuota.objects.create(
        organization=alice_org, mails_per_minute=5, tokens=0, updated_at=timezone.now(),
        campaign_mails_per_minute=50, campaign_tokens=50, campaign_updated_at=timezone.now(),
    )  # fmt: skip
    with time_machine.travel(timezone.now(), tick=False):
        transactional, campaign = queue(alice_org, 3), queue_campaign(alice_org, 20)
        deliver(transactional + campaign)
    assert set(OutboundMessage.objects.filter(pk__in=campaign).values_list("status", flat=True)) == {"sent"}
    assert set(OutboundMessage.objects.filter(pk__in=transactional).values_list("status", flat=True)) == {"queued"}


def test_transactional_mail_is_not_held_by_a_used_up_campaign(alice_org, smtp_server):
    SendQuota.objects.create(
        organization=alice_org, mails_per_minute=5, tokens=5, updated_at=timezone.now(),
        campaign_mails_per_minute=50, campaign_tokens=0, campaign_updated_at=timezone.now(),
    )  # fmt: skip
    with time_machine.travel(timezone.now(), tick=False):
        campaign, transactional = queue_campaign(alice_org, 20), queue(alice_org, 3)
        deliver(campaign + transactional)
    assert set(OutboundMessage.objects.filter(pk__in=transactional).values_list("status", flat=True)) == {"sent"}
    waiting = OutboundMessage.objects.filter(pk__in=campaign)
    assert set(waiting.values_list("status", flat=True)) == {"queued"}
    # the campaign waits for its own bucket (50 a minute: 20 mails in about 24 seconds)
    assert {round((m.next_attempt_at - timezone.now()).total_seconds() / 10) for m in waiting} == {2}


def test_an_organization_starts_with_3000_campaign_mails_a_minute(alice_org, smtp_server):
    deliver(queue_campaign(alice_org, 1))
    quota = SendQuota.objects.get(organization=alice_org)
    assert (quota.mails_per_minute, quota.campaign_mails_per_minute) == (600, 3000)
    assert quota.campaign_tokens == 2999
