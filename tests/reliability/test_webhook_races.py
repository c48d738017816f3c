"""The same provider report, delivered to two workers at once, is processed once.

Real threads with their own database connections; in CI also against PostgreSQL."""

from datetime import timedelta

import pytest
from anymail.signals import AnymailTrackingEvent
from django.utils import timezone

from automations.models import Event
from contacts.models import Suppression
from engage.events import EventType
from notifications.models import OutboundMessage, TrackingEvent
from notifications.services import RenderedMail, enqueue_mail
from notifications.tracking import process_anymail_event
from tests.factories import ContactFactory
from tests.reliability.test_claims import in_threads


@pytest.mark.django_db(transaction=True)
def test_a_bounce_delivered_twice_at_once_bounces_suppresses_and_fires_once():
    contact = ContactFactory(email="ann@example.org")
    message = enqueue_mail(
        organization=contact.organization, to=contact.email, mail=RenderedMail(subject="Hi", text="x"),
        contact=contact,
    )  # fmt: skip
    OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundMessage.Status.SENT)
    event = AnymailTrackingEvent(
        event_type="bounced",
        timestamp=timezone.now() - timedelta(seconds=5),
        event_id="bounce-token-1",
        recipient="ann@example.org",
        metadata={"engage_message_id": message.message_id},
        reject_reason="bounced",
        esp_event={"event": "failed"},
    )

    results = in_threads(4, lambda: process_anymail_event(event, "Mailgun"))

    assert sum(result is not None for result in results) == 1
    assert TrackingEvent.objects.count() == 1
    assert Suppression.objects.count() == 1
    assert Event.objects.filter(type=EventType.MESSAGE_BOUNCED).count() == 1
    assert OutboundMessage.objects.get(pk=message.pk).status == OutboundMessage.Status.BOUNCED
