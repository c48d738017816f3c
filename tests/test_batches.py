"""Work done in batches: configuration looked up once per batch, leases kept while it lasts."""

import uuid
from datetime import timedelta

import pytest

from automations import services as services_module
from automations.jobs import add_tag
from automations.models import Run
from automations.services import claim_runs, execute_runs
from contacts.models import Contact
from engage.errors import PermanentError
from engage.events import record_event
from engage.lib import memo
from notifications import mailsettings, services
from notifications.models import MailSettings, OutboundMessage
from notifications.services import RenderedMail, enqueue_mail
from tests.factories import AutomationFactory, ContactFactory


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
    assert mailsettings.default_from(alice_org) == "Alice Org <news@alice.example>"  # no name of its own


@pytest.fixture
def two_queued(alice_org):
    mail = RenderedMail(subject="Hi", text="Hello")
    return [enqueue_mail(organization=alice_org, to=f"{n}@example.com", mail=mail) for n in ("one", "two")]


def test_a_long_batch_skips_mails_another_sender_took_over(two_queued, settings, mailoutbox, monkeypatch):
    settings.ENGAGE_LEASE_SECONDS = 0  # every mail counts as "long after the last renewal"
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


def _batch_of_tag_runs(organization, count: int) -> list[Run]:
    AutomationFactory(organization=organization, event_type="manual", job_type="add_tag", job_params={"tag": "VIP"})
    contacts = ContactFactory.create_batch(count, organization=organization)
    for contact in contacts:
        record_event(organization=organization, type="manual", contact=contact)
    return list(Run.objects.order_by("pk"))


def test_a_failing_run_in_a_group_takes_only_its_own_changes_back(alice_org, monkeypatch):
    runs = _batch_of_tag_runs(alice_org, 3)
    tag_once = add_tag.Job.execute

    def fail_for_the_second(self, context):
        output = tag_once(self, context)  # the tag is stored ...
        if context.run.pk == runs[1].pk:
            raise PermanentError("the second one breaks")  # ... and taken back with this run
        return output

    monkeypatch.setattr(add_tag.Job, "execute", fail_for_the_second)
    execute_runs(claim_runs().token)
    assert [Run.objects.get(pk=r.pk).status for r in runs] == ["succeeded", "failed", "succeeded"]
    tagged = set(Contact.objects.filter(tags__name="VIP").values_list("pk", flat=True))
    assert tagged == {runs[0].contact_id, runs[2].contact_id}


def test_a_worker_stopped_mid_batch_loses_at_most_its_open_group(alice_org, monkeypatch):
    monkeypatch.setattr(services_module, "COMMIT_GROUP", 2)
    runs = _batch_of_tag_runs(alice_org, 5)
    tag_once = add_tag.Job.execute

    def stop_at_the_fourth(self, context):
        if context.run.pk == runs[3].pk:
            raise SystemExit("the task's timeout")  # what django-q2 raises in a task that runs too long
        return tag_once(self, context)

    monkeypatch.setattr(add_tag.Job, "execute", stop_at_the_fourth)
    with pytest.raises(SystemExit):
        execute_runs(claim_runs().token)
    # Runs 1-2 committed as a group; run 3 was in the open group with run 4: taken back,
    # and like runs 4-5 it stays claimed until its lease runs out and it is handed out again.
    assert [Run.objects.get(pk=r.pk).status for r in runs] == ["succeeded", "succeeded"] + ["running"] * 3
    assert Contact.objects.filter(tags__name="VIP").count() == 2


def test_accepted_mails_are_recorded_as_sent_in_groups(alice_org, mailoutbox, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(services, "SENT_FLUSH", 2)
    mail = RenderedMail(subject="Hi", text="Hello")
    ids = [enqueue_mail(organization=alice_org, to=f"{n}@example.com", mail=mail).pk for n in range(5)]
    with CaptureQueriesContext(connection) as queries:
        assert services.deliver(ids) == 5
    mark_sent = 'UPDATE "notifications_outboundmessage" SET "status" = CASE'
    marked_sent = [q for q in queries if q["sql"].startswith(mark_sent)]
    assert len(marked_sent) == 3  # 2 + 2 + the last one, when the batch ends
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {OutboundMessage.Status.SENT}
    assert len(mailoutbox) == 5


def test_the_sweep_leaves_a_runs_new_mail_to_its_worker_for_a_grace_period(alice_org, monkeypatch):
    import time_machine
    from django.utils import timezone

    AutomationFactory(organization=alice_org, event_type="manual", job_type="add_tag", job_params={"tag": "x"})
    record_event(organization=alice_org, type="manual", contact=ContactFactory(organization=alice_org))
    run = Run.objects.get()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        from_run = enqueue_mail(organization=alice_org, to="a@example.com", mail=RenderedMail("Hi", "x"), run=run)
        system = enqueue_mail(organization=alice_org, to="b@example.com", mail=RenderedMail("Hi", "x"))
        claimed = services.claim_messages()
    assert set(OutboundMessage.objects.filter(claim_token=claimed.token).values_list("pk", flat=True)) == {system.pk}
    with time_machine.travel(start + services.OUTBOX_GRACE + timedelta(seconds=1), tick=False):
        later = services.claim_messages()
    assert set(OutboundMessage.objects.filter(claim_token=later.token).values_list("pk", flat=True)) == {from_run.pk}
