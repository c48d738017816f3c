"""*Message sent* fires when the server accepts a mail: once per mail, with the mail and
its contact, and only where an automation listens to it."""

from automations.models import Event, Run
from automations.services import dispatch_due_runs
from engage.events import record_event
from notifications.models import OutboundMessage
from notifications.services import _fire_message_sent
from tests.factories import AutomationFactory, ContactFactory


def test_message_sent_starts_a_listening_automation_once_per_mail(alice_org, smtp_server):
    AutomationFactory(organization=alice_org)  # contact created → password mail
    tag = AutomationFactory(
        organization=alice_org, event_type="message_sent", job_type="add_tag", job_params={"tag": "mailed"}
    )
    contacts = ContactFactory.create_batch(2, organization=alice_org)
    for contact in contacts:
        record_event(organization=alice_org, type="contact_created", contact=contact)
    dispatch_due_runs()  # the password mails are sent
    dispatch_due_runs()  # the runs *message sent* started

    sent = Event.objects.filter(type="message_sent")
    assert sorted(sent.values_list("contact_id", flat=True)) == sorted(c.pk for c in contacts)
    message = OutboundMessage.objects.get(contact=contacts[0])
    assert sent.get(contact=contacts[0]).payload["message"]["id"] == message.pk
    assert Run.objects.filter(automation=tag, status=Run.Status.SUCCEEDED).count() == 2
    assert all(c.tags.filter(name="mailed").exists() for c in contacts)

    # The same mail recorded as sent again (a sender killed before it recorded it) fires nothing more.
    _fire_message_sent(alice_org, [message.pk])
    assert sent.count() == 2


def test_nobody_listening_stores_no_message_sent_event(alice_org, smtp_server):
    AutomationFactory(organization=alice_org)
    record_event(organization=alice_org, type="contact_created", contact=ContactFactory(organization=alice_org))
    dispatch_due_runs()
    assert OutboundMessage.objects.get().status == "sent"
    assert not Event.objects.filter(type="message_sent").exists()


def test_charlies_automation_does_not_hear_alices_mails(alice_org, charlie_org, smtp_server):
    AutomationFactory(organization=alice_org)
    AutomationFactory(organization=charlie_org, event_type="message_sent", job_type="add_tag", job_params={"tag": "x"})
    record_event(organization=alice_org, type="contact_created", contact=ContactFactory(organization=alice_org))
    dispatch_due_runs()
    assert not Event.objects.filter(type="message_sent").exists()
