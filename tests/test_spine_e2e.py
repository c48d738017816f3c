"""The spine, end to end: a contact is created, the automation waits a minute, then a new
password reaches a real SMTP server and works against the stored hash."""

import re
from datetime import timedelta

import time_machine
from django.contrib.auth.hashers import check_password
from django.utils import timezone

from automations.models import Event, Run
from automations.services import dispatch_due_runs
from contacts import services
from contacts.models import Contact
from engage.events import EventType
from notifications.mailsink import text_of
from notifications.models import OutboundMessage
from tests.factories import AutomationFactory

PASSWORD_LINE = re.compile(r"^ {4}(\S{14})\s*$", re.MULTILINE)


def test_delayed_password_mail_arrives_when_due_and_the_password_works(
    alice_org, smtp_server, django_capture_on_commit_callbacks
):
    automation = AutomationFactory(organization=alice_org, delay_unit="minutes", delay_value=1)
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            contact = services.create_contact(organization=alice_org, email="Erika@Example.com", first_name="Erika")
        event = Event.objects.get(contact=contact)
        run = Run.objects.get(event=event)
        assert event.type == EventType.CONTACT_CREATED
        assert run.status == Run.Status.SCHEDULED
        assert run.due_at == start + timedelta(minutes=1)
        assert dispatch_due_runs() == 0  # not due yet
        assert smtp_server.messages == []

    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert dispatch_due_runs() == 1

    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED, run.error
    assert run.input["event"]["id"] == event.pk
    assert run.output["recipient"] == "Erika@Example.com"
    assert run.automation == automation

    [mail] = smtp_server.messages
    assert mail["To"] == "Erika@Example.com"
    password = PASSWORD_LINE.search(text_of(mail)).group(1)
    assert "/portal/alice/login/" in text_of(mail)
    contact = Contact.objects.get(pk=contact.pk)
    assert contact.password.startswith("argon2")
    assert check_password(password, contact.password)
    assert not check_password("wrong" + password, contact.password)

    message = OutboundMessage.objects.get(run=run)
    assert message.status == OutboundMessage.Status.SENT
    assert message.message_id == mail["Message-ID"]
    assert password not in message.text_body  # the outbox never keeps the password
    assert password not in message.html_body
