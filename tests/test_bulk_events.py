"""The bulk event path: many events of one organization in a few queries, same rules as one."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from automations import services
from automations.models import Event, Run
from engage.events import NewEvent, record_event, record_events
from notifications.models import OutboundMessage, PreparedMessage, PreparedMessageVariant
from tests.factories import AutomationFactory, ContactFactory


def _prepared_message(organization) -> PreparedMessage:
    message = PreparedMessage.objects.create(organization=organization, name="Hello", is_marketing=False)
    PreparedMessageVariant.objects.create(
        message=message, language="en", subject="Hi {{ contact.first_name }}", text_body="Order {{ event.payload.n }}"
    )
    return message


def test_bulk_events_schedule_the_same_runs_as_single_events(alice_org):
    AutomationFactory(organization=alice_org, event_type="custom", event_name="order", delay_unit="days", delay_value=1)
    AutomationFactory(organization=alice_org, event_type="custom", event_name="refund")
    contacts = ContactFactory.create_batch(3, organization=alice_org)
    results = record_events(
        organization=alice_org,
        events=[
            NewEvent(type="custom", name="order", contact=contact, payload={"n": i})
            for i, contact in enumerate(contacts)
        ],
    )
    assert [created for _, created in results] == [True, True, True]
    assert [event.payload for event, _ in results] == [{"n": 0}, {"n": 1}, {"n": 2}]
    runs = Run.objects.order_by("contact_id")
    assert [run.contact for run in runs] == sorted(contacts, key=lambda c: c.pk)
    assert {run.automation.event_name for run in runs} == {"order"}
    assert all(run.due_at > timezone.now() + timedelta(hours=23) for run in runs)

    single, _ = record_event(organization=alice_org, type="custom", name="order", contact=contacts[0])
    assert Run.objects.get(event=single).due_at.date() == runs[0].due_at.date()


def test_bulk_events_are_deduplicated_by_external_id_against_stored_events_and_the_batch(alice_org):
    AutomationFactory(organization=alice_org)
    contact = ContactFactory(organization=alice_org)
    stored, _ = record_event(
        organization=alice_org, type="contact_created", contact=contact, source="api", external_id="a"
    )
    results = record_events(
        organization=alice_org,
        events=[
            NewEvent(type="contact_created", contact=contact, external_id="a"),
            NewEvent(type="contact_created", contact=contact, external_id="b"),
            NewEvent(type="contact_created", contact=contact, external_id="b"),
            NewEvent(type="contact_created", contact=contact, external_id="a", source="shop"),
        ],
    )
    assert [created for _, created in results] == [False, True, False, True]
    assert results[0][0].pk == stored.pk
    assert results[1][0] is results[2][0]
    assert Event.objects.count() == 3
    assert Run.objects.count() == 3


def test_due_runs_of_a_bulk_ingest_send_their_mails_after_commit(
    alice_org, mailoutbox, django_capture_on_commit_callbacks
):
    message = _prepared_message(alice_org)
    AutomationFactory(
        organization=alice_org, job_type="send_prepared_message_contact", job_params={"message": message.pk}
    )
    contacts = ContactFactory.create_batch(5, organization=alice_org, first_name="Ann")
    with django_capture_on_commit_callbacks(execute=True):
        record_events(
            organization=alice_org,
            events=[NewEvent(type="contact_created", contact=c, payload={"n": i}) for i, c in enumerate(contacts)],
        )
        assert not OutboundMessage.objects.exists()
    assert OutboundMessage.objects.filter(status="sent").count() == 5
    assert sorted(m.body for m in mailoutbox) == [f"Order {i}" for i in range(5)]
    assert set(Run.objects.values_list("status", flat=True)) == {"succeeded"}


def test_bulk_ingest_costs_queries_per_batch_not_per_event(alice_org):
    AutomationFactory(organization=alice_org, delay_unit="days", delay_value=1)

    def ingest(n: int) -> int:
        contacts = ContactFactory.create_batch(n, organization=alice_org)
        with CaptureQueriesContext(connection) as queries:
            record_events(
                organization=alice_org, events=[NewEvent(type="contact_created", contact=c) for c in contacts]
            )
        return len(queries)

    # Only the database's own limit on the size of one INSERT splits it further.
    assert ingest(200) - ingest(10) < 10


def test_bulk_events_never_start_another_organizations_automations(alice_org, charlie_org):
    AutomationFactory(organization=charlie_org)
    record_events(
        organization=alice_org,
        events=[NewEvent(type="contact_created", contact=ContactFactory(organization=alice_org))],
    )
    assert not Run.objects.exists()


def test_an_external_id_stored_meanwhile_by_another_delivery_is_not_recorded_again(alice_org, monkeypatch):
    AutomationFactory(organization=alice_org)
    contact = ContactFactory(organization=alice_org)
    stored, _ = record_event(
        organization=alice_org, type="contact_created", contact=contact, source="api", external_id="a"
    )
    # The other delivery had not committed yet when this one looked for known ids.
    monkeypatch.setattr(services, "_known_events", lambda organization, keys: {})
    results = record_events(
        organization=alice_org,
        events=[
            NewEvent(type="contact_created", contact=contact, external_id="a"),
            NewEvent(type="contact_created", contact=contact, external_id="b"),
        ],
    )
    assert [(event.pk == stored.pk, created) for event, created in results] == [(True, False), (False, True)]
    assert Event.objects.count() == 2
    assert Run.objects.count() == 2
