"""Fan-out of a group sendout through the outbox (tasks inline, Django's locmem backend)."""

from __future__ import annotations

import pytest
from django.core import mail

from contacts.models import Group, Membership, Suppression
from engage.events import EventType
from notifications.models import OutboundMessage, Sendout, SendoutRecipient
from notifications.sendouts import (
    cancel_sendout,
    count_recipients,
    dispatch_due_sendouts,
    fan_out_batch,
    pause_sendout,
    resolve,
    resume_sendout,
    start_sendout,
)
from tests.sendouts.conftest import make_group, make_sendout

pytestmark = pytest.mark.django_db(transaction=True)


def _start(sendout: Sendout) -> Sendout:
    start_sendout(sendout=sendout)
    sendout.refresh_from_db()
    return sendout


def test_it_sends_every_member_one_mail(newsletter):
    sendout = _start(newsletter)

    assert sendout.status == Sendout.Status.SENT
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"reader{n}@example.com" for n in range(20))
    assert OutboundMessage.objects.filter(status=OutboundMessage.Status.SENT).count() == 20


def test_each_mail_has_dynamic_text_and_one_click_unsubscribe(newsletter):
    _start(newsletter)

    first = next(m for m in mail.outbox if m.to == ["reader3@example.com"])
    assert first.subject == "News for R3"
    assert first.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert first.extra_headers["List-Unsubscribe"].startswith("<http")
    assert "/unsubscribe/" in first.body or "Unsubscribe" in first.body


def test_a_contact_in_two_groups_gets_it_once(alice_org):
    one = make_group(alice_org, 5, name="One")
    two = Group.objects.create(organization=alice_org, name="Two")
    for membership in one.memberships.all():
        Membership.objects.create(group=two, contact=membership.contact)
    sendout = _start(make_sendout(alice_org, [one, two]))

    assert len(mail.outbox) == 5
    assert sendout.recipient_count == 5


def test_suppressed_and_unsubscribed_members_get_nothing(alice_org):
    group = make_group(alice_org, 4)
    Suppression.objects.create(organization=alice_org, address="reader0@example.com", reason="hard_bounce")
    Membership.objects.filter(group=group, contact__email="reader1@example.com").update(state="unsubscribed")
    sendout = make_sendout(alice_org, [group])

    assert count_recipients(sendout) == 2
    _start(sendout)
    assert sorted(m.to[0] for m in mail.outbox) == ["reader2@example.com", "reader3@example.com"]


def test_an_address_suppressed_after_the_start_gets_nothing(alice_org):
    group = make_group(alice_org, 3)
    sendout = make_sendout(alice_org, [group])
    resolve(sendout)
    Suppression.objects.create(organization=alice_org, address="reader1@example.com", reason="unsubscribe")

    fan_out_batch(sendout)

    assert "reader1@example.com" not in [m.to[0] for m in mail.outbox]
    assert SendoutRecipient.objects.get(contact__email="reader1@example.com").status == "suppressed"


def test_a_batch_taken_twice_queues_each_recipient_once(alice_org):
    sendout = make_sendout(alice_org, [make_group(alice_org, 10)])
    resolve(sendout)

    assert fan_out_batch(sendout, size=6) == 6
    assert fan_out_batch(sendout, size=6) == 4
    assert fan_out_batch(sendout, size=6) == 0
    assert OutboundMessage.objects.count() == 10


def test_the_recipient_table_refuses_a_second_row_for_a_contact(alice_org):
    from django.db import IntegrityError

    sendout = make_sendout(alice_org, [make_group(alice_org, 1)])
    resolve(sendout)
    row = SendoutRecipient.objects.get()
    with pytest.raises(IntegrityError):
        SendoutRecipient.objects.create(sendout=sendout, contact=row.contact)


def test_resolving_again_adds_nobody_twice(alice_org):
    sendout = make_sendout(alice_org, [make_group(alice_org, 7)])
    resolve(sendout)
    SendoutRecipient.objects.filter(contact__email="reader6@example.com").delete()  # as if cut off mid-way

    assert resolve(sendout) == 7
    assert SendoutRecipient.objects.count() == 7


def test_pause_stops_and_resume_sends_the_rest(alice_org, monkeypatch):
    from notifications import sendouts

    sendout = make_sendout(alice_org, [make_group(alice_org, 10)])
    monkeypatch.setattr(sendouts, "FAN_OUT_BATCH", 4)
    original = sendouts.fan_out_batch

    def pause_after_first(sendout_, **kwargs):
        taken = original(sendout_, size=4)
        pause_sendout(sendout=Sendout.objects.get(pk=sendout_.pk))
        return taken

    monkeypatch.setattr(sendouts, "fan_out_batch", pause_after_first)
    _start(sendout)
    assert sendout.status == Sendout.Status.PAUSED
    assert len(mail.outbox) == 4

    monkeypatch.setattr(sendouts, "fan_out_batch", original)
    resume_sendout(sendout=sendout)
    sendout.refresh_from_db()
    assert sendout.status == Sendout.Status.SENT
    assert len(mail.outbox) == 10
    assert len({m.to[0] for m in mail.outbox}) == 10


def test_cancel_while_paused_sends_nobody_waiting(alice_org):
    sendout = make_sendout(alice_org, [make_group(alice_org, 6)])
    resolve(sendout)
    fan_out_batch(sendout, size=2)
    Sendout.objects.filter(pk=sendout.pk).update(status=Sendout.Status.PAUSED)
    sendout.refresh_from_db()

    assert cancel_sendout(sendout=sendout)
    assert not resume_sendout(sendout=sendout)
    dispatch_due_sendouts()
    assert len(mail.outbox) == 2
    assert SendoutRecipient.objects.filter(status="cancelled").count() == 4


def test_started_and_finished_events_carry_counts(newsletter, monkeypatch):
    recorded = []
    from notifications import sendouts

    monkeypatch.setattr(sendouts, "record_event", lambda **kwargs: recorded.append(kwargs))
    _start(newsletter)

    started, finished = recorded
    assert started["type"] == EventType.SENDOUT_STARTED and started["payload"]["recipients"] == 20
    assert finished["type"] == EventType.SENDOUT_FINISHED and finished["payload"]["sent"] == 20


def test_one_fan_out_batch_takes_a_fixed_number_of_queries(alice_org, django_assert_max_num_queries, monkeypatch):
    from engage.lib import memo
    from notifications import sendouts

    monkeypatch.setattr(sendouts, "hand_to_worker", lambda ids: None)  # sending has query counts of its own

    sendout = make_sendout(alice_org, [make_group(alice_org, 200)])
    resolve(sendout)
    with memo.batch(), django_assert_max_num_queries(20):
        fan_out_batch(sendout, size=200)


def test_an_organization_with_sendouts_can_be_deleted(alice_org, newsletter):
    from contacts.models import Organization

    _start(newsletter)
    alice_org.delete()
    assert not Organization.objects.filter(slug="alice").exists()
    assert not Sendout.objects.exists()


def test_a_prepared_message_in_a_sendout_cannot_be_deleted(newsletter):
    from django.db.models import RestrictedError

    with pytest.raises(RestrictedError):
        newsletter.message.delete()


def test_the_unsubscribe_link_carries_the_contacts_own_token(newsletter):
    from urllib.parse import urlparse

    from django.urls import resolve as resolve_url

    from contacts.models import Contact
    from contacts.tokens import read_unsubscribe_token

    _start(newsletter)

    for email in ("reader3@example.com", "reader4@example.com"):
        sent = next(m for m in mail.outbox if m.to == [email])
        match = resolve_url(urlparse(sent.extra_headers["List-Unsubscribe"].strip("<>")).path)
        assert match.url_name == "unsubscribe" and match.kwargs["slug"] == "alice"
        assert read_unsubscribe_token(match.kwargs["token"]).contact_id == Contact.objects.get(email=email).pk


def test_the_first_mails_leave_before_the_whole_audience_is_resolved(alice_org, monkeypatch):
    from notifications import sendouts

    monkeypatch.setattr(sendouts, "RESOLVE_BATCH", 5)
    monkeypatch.setattr(sendouts, "FIRST_BATCH", 2)
    seen = []
    original = sendouts.resolve_batch

    def noting(sendout_):
        seen.append((SendoutRecipient.objects.count(), len(mail.outbox)))
        return original(sendout_)

    monkeypatch.setattr(sendouts, "resolve_batch", noting)
    sendout = _start(make_sendout(alice_org, [make_group(alice_org, 12)]))

    assert seen[0] == (0, 0)
    assert seen[1] == (5, 2)  # the first batch left after the first five were resolved
    assert sendout.status == Sendout.Status.SENT and sendout.recipient_count == 12
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"reader{n}@example.com" for n in range(12))


def test_a_batch_sent_here_does_not_go_through_the_task_queue(alice_org, monkeypatch):
    from notifications import sendouts

    handed = []
    monkeypatch.setattr(sendouts, "hand_to_worker", handed.append)
    sendout = make_sendout(alice_org, [make_group(alice_org, 5)])
    resolve(sendout)

    assert fan_out_batch(sendout, size=5, send_here=True) == 5
    assert handed == []
    assert len(mail.outbox) == 5
    assert OutboundMessage.objects.filter(status=OutboundMessage.Status.SENT).count() == 5


def test_a_row_taken_by_another_worker_while_rendering_gets_no_mail_from_this_one(alice_org, monkeypatch):
    from notifications import sendouts

    sendout = make_sendout(alice_org, [make_group(alice_org, 4)])
    resolve(sendout)
    original = sendouts._render_batch

    def another_worker_takes_one(sendout_, rows):
        rendered = original(sendout_, rows)
        SendoutRecipient.objects.filter(pk=rows[0].pk).update(status=SendoutRecipient.Status.QUEUED)
        return rendered

    monkeypatch.setattr(sendouts, "_render_batch", another_worker_takes_one)
    assert fan_out_batch(sendout, size=4) == 4

    assert OutboundMessage.objects.count() == 3
    assert SendoutRecipient.objects.filter(message__isnull=True).get().contact.email == "reader0@example.com"
    assert "reader0@example.com" not in [m.to[0] for m in mail.outbox]
