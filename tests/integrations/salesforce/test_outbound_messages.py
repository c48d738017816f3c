"""Salesforce Outbound Messages: POST /inbound/salesforce/<token>/."""

import threading

import pytest
from django.db import connection as db_connection
from django.test import Client
from django.urls import reverse

from automations.models import Event, Run
from automations.services import dispatch_due_runs
from contacts.models import Contact
from integrations.salesforce import services
from integrations.salesforce.models import SalesforceConnection, SalesforceNotification, SalesforceRecord
from notifications.models import OutboundMessage
from tests.integrations.helpers import automation_for
from tests.payloads import SALESFORCE_ORG_ID, fixture, xml_shape


@pytest.fixture
def connection(alice_org):
    return SalesforceConnection.objects.create(
        organization=alice_org, name="Acme CRM", salesforce_organization_id=SALESFORCE_ORG_ID
    )


def post(client, connection, body: bytes):
    url = reverse("integrations:salesforce", args=[connection.token])
    return client.post(url, body, content_type="text/xml; charset=utf-8", HTTP_SOAPACTION='""')


def fault_of(response) -> str:
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/xml")
    return dict(xml_shape(response.content))["faultstring"]


def test_it_acknowledges_a_case_with_exactly_the_ack_salesforce_expects(client, connection):
    response = post(client, connection, fixture("salesforce_outbound_case.xml"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert xml_shape(response.content) == xml_shape(fixture("salesforce_outbound_ack.xml"))


def test_a_case_becomes_an_event_for_the_contact_named_by_its_contact_email(client, connection, alice_org):
    jana = Contact.objects.create(organization=alice_org, email="jana.mueller@example.de")
    post(client, connection, fixture("salesforce_outbound_case.xml"))
    notification = SalesforceNotification.objects.get()
    assert notification.notification_id == "04l7Q00000NfR8sQAF"
    assert notification.status == "processed"
    event = Event.objects.get(type="salesforce_message")
    assert event.organization == alice_org
    assert event.contact == jana
    assert event.external_id == "04l7Q00000NfR8sQAF"
    assert event.payload["object_type"] == "Case"
    assert event.payload["id"] == "5007Q00000Bx3kPQAR"
    assert event.payload["fields"]["CaseNumber"] == "00001042"
    assert event.payload["fields"]["Subject"] == "Lieferung unvollständig – Bestellung 4711"
    assert notification.event == event


def test_several_notifications_in_one_message_are_each_stored(client, connection, alice_org):
    lea = Contact.objects.create(organization=alice_org, email="lea.frei@example.org")
    assert post(client, connection, fixture("salesforce_outbound_contacts.xml")).status_code == 200
    assert SalesforceNotification.objects.count() == 3
    lead = Event.objects.get(external_id="04l7Q00000NfS1cQAF")
    assert lead.payload["object_type"] == "Lead"
    assert lead.contact == lea
    peter = Event.objects.get(external_id="04l7Q00000NfS1bQAF").payload["fields"]
    assert peter["Phone"] is None  # xsi:nil
    related = Event.objects.get(external_id="04l7Q00000NfS1aQAF").payload["fields"]["Account"]
    assert related == {"Name": "Example AG"}


def test_an_existing_contact_is_found_whatever_the_case_of_the_address(client, connection, alice_org):
    peter = Contact.objects.create(organization=alice_org, email="peter.keller@example.ch")
    post(client, connection, fixture("salesforce_outbound_contacts.xml"))
    assert Event.objects.get(external_id="04l7Q00000NfS1bQAF").contact == peter
    assert Contact.objects.filter(organization=alice_org, email__iexact="peter.keller@example.ch").count() == 1


def test_a_redelivered_message_is_acknowledged_and_fires_nothing_again(client, connection):
    for _ in range(3):
        response = post(client, connection, fixture("salesforce_outbound_case.xml"))
        assert response.status_code == 200
        assert b"<Ack>true</Ack>" in response.content
    assert SalesforceNotification.objects.count() == 1
    assert Event.objects.filter(type="salesforce_message").count() == 1


def test_a_wrong_organization_id_is_a_fault_and_stores_nothing(client, alice_org):
    other = SalesforceConnection.objects.create(
        organization=alice_org, name="Other org", salesforce_organization_id="00D000000000001AAA"
    )
    response = post(client, other, fixture("salesforce_outbound_case.xml"))
    assert fault_of(response) == "OrganizationId not accepted by this endpoint"
    assert not SalesforceNotification.objects.exists()
    assert not Event.objects.filter(type="salesforce_message").exists()


def test_the_15_character_organization_id_is_accepted(client, alice_org):
    short = SalesforceConnection.objects.create(
        organization=alice_org, name="Short id", salesforce_organization_id=SALESFORCE_ORG_ID[:15]
    )
    assert post(client, short, fixture("salesforce_outbound_case.xml")).status_code == 200
    assert SalesforceNotification.objects.count() == 1


def test_an_unknown_or_inactive_token_is_a_404(client, connection):
    url = reverse("integrations:salesforce", args=["no-such-token"])
    assert client.post(url, fixture("salesforce_outbound_case.xml"), content_type="text/xml").status_code == 404
    connection.is_active = False
    connection.save()
    assert post(client, connection, fixture("salesforce_outbound_case.xml")).status_code == 404
    assert not SalesforceNotification.objects.exists()


def test_only_post_is_accepted(client, connection):
    assert client.get(reverse("integrations:salesforce", args=[connection.token])).status_code == 405


def test_charlies_connection_stores_in_charlies_organization_only(client, connection, alice_org, charlie_org):
    theirs = SalesforceConnection.objects.create(
        organization=charlie_org, name="Charlie CRM", salesforce_organization_id=SALESFORCE_ORG_ID
    )
    Contact.objects.create(organization=alice_org, email="jana.mueller@example.de")
    Contact.objects.create(organization=charlie_org, email="jana.mueller@example.de")
    post(client, connection, fixture("salesforce_outbound_case.xml"))
    # The same notification Id in another organization is that organization's own.
    assert post(client, theirs, fixture("salesforce_outbound_case.xml")).status_code == 200
    assert SalesforceNotification.objects.filter(organization=charlie_org).count() == 1
    event = Event.objects.get(organization=charlie_org, type="salesforce_message")
    assert event.contact.organization == charlie_org


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml at all",
        b"<soapenv:Envelope xmlns:soapenv='http://schemas.xmlsoap.org/soap/envelope/'><soapenv:Body>",
        b"<a/>",
        fixture("salesforce_outbound_case.xml").replace(b"<Id>04l7Q00000NfR8sQAF</Id>", b""),
        fixture("salesforce_outbound_case.xml").replace(b"2024-05-14T09:12:33.000Z", b"yesterday"),
        "<?xml version='1.0' encoding='UTF-8'?><x>ä</x>".encode("latin-1"),
        fixture("salesforce_outbound_case.xml").replace(b"04l7Q00000NfR8sQAF", b"04l7Q00000NfR8sQAF" * 20),
        fixture("salesforce_outbound_case.xml").replace(b"<sf:Id>5007Q00000Bx3kPQAR", b"<sf:Id>5007Q-0000"),
        fixture("salesforce_outbound_case.xml").replace(b'"sf:Case"', b'"sf:' + b"C" * 200 + b'"'),
    ],
)
def test_malformed_messages_are_faults_not_errors(client, connection, body):
    fault_of(post(client, connection, body))
    assert not SalesforceNotification.objects.exists()


def test_an_xml_bomb_is_refused_without_expanding_it(client, connection):
    response = post(client, connection, fixture("salesforce_outbound_billion_laughs.xml"))
    assert "DTD" in fault_of(response)
    assert b"lollol" not in response.content
    assert not SalesforceNotification.objects.exists()
    assert not Contact.objects.filter(email="bomb@example.com").exists()


def test_an_external_entity_is_never_read(client, connection):
    response = post(client, connection, fixture("salesforce_outbound_xxe.xml"))
    fault_of(response)
    assert b"root:" not in response.content
    assert not Contact.objects.filter(email="xxe@example.com").exists()


def test_more_than_100_notifications_are_refused(client, connection):
    case = fixture("salesforce_outbound_case.xml").decode()
    start, end = case.index("<Notification>"), case.index("</Notification>") + len("</Notification>")
    too_many = case[:start] + case[start:end] * 101 + case[end:]
    assert "101" in fault_of(post(client, connection, too_many.encode()))


def test_a_message_that_cannot_be_stored_is_a_fault_and_leaves_nothing_half_done(client, connection, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(services, "record_event", broken)
    response = post(client, connection, fixture("salesforce_outbound_contacts.xml"))
    assert "retry" in fault_of(response)
    assert dict(xml_shape(response.content))["faultcode"] == "soapenv:Server"
    assert not SalesforceNotification.objects.exists()
    assert not SalesforceRecord.objects.exists()
    # Salesforce retries, and now it works.
    monkeypatch.undo()
    assert post(client, connection, fixture("salesforce_outbound_contacts.xml")).status_code == 200
    assert Event.objects.filter(type="salesforce_message").count() == 3


def test_older_data_delivered_late_does_not_overwrite_newer(client, connection, alice_org):
    post(client, connection, fixture("salesforce_outbound_contacts.xml"))
    assert post(client, connection, fixture("salesforce_outbound_contact_older.xml")).status_code == 200
    late = SalesforceNotification.objects.get(notification_id="04l7Q00000NfR9zQAF")
    assert late.status == "outdated"
    assert late.event is None
    assert "older" in late.output
    record = SalesforceRecord.objects.get(organization=alice_org, object_id="0037Q00000LmN4aQAF")
    assert record.fields["Email"] == "jana.mueller@example.de"
    assert record.fields["MailingCity"] == "Zürich"
    assert not Contact.objects.filter(email="jana.alt@example.de").exists()
    assert not Event.objects.filter(external_id="04l7Q00000NfR9zQAF").exists()


def test_older_data_delivered_first_is_applied_and_then_replaced(client, connection, alice_org):
    for email in ("jana.alt@example.de", "jana.mueller@example.de", "peter.keller@example.ch", "lea.frei@example.org"):
        Contact.objects.create(organization=alice_org, email=email)
    post(client, connection, fixture("salesforce_outbound_contact_older.xml"))
    post(client, connection, fixture("salesforce_outbound_contacts.xml"))
    record = SalesforceRecord.objects.get(organization=alice_org, object_id="0037Q00000LmN4aQAF")
    assert record.fields["MailingCity"] == "Zürich"
    assert SalesforceNotification.objects.filter(status="processed").count() == 4


def test_a_deleted_record_fires_for_the_contact_it_was_about(client, connection, alice_org):
    Contact.objects.create(organization=alice_org, email="jana.mueller@example.de")
    post(client, connection, fixture("salesforce_outbound_contacts.xml"))
    post(client, connection, fixture("salesforce_outbound_deleted.xml"))
    event = Event.objects.get(external_id="04l7Q00000NfT7dQAF")
    assert event.contact.email == "jana.mueller@example.de"
    assert event.payload["deleted"] is True
    assert event.payload["fields"] == {"Id": "0037Q00000LmN4aQAF"}
    record = SalesforceRecord.objects.get(organization=alice_org, object_id="0037Q00000LmN4aQAF")
    assert record.deleted
    assert record.fields["Email"] == "jana.mueller@example.de"  # the last known data stays


def test_a_deleted_record_never_seen_before_is_stored_without_an_event(client, connection):
    assert post(client, connection, fixture("salesforce_outbound_deleted.xml")).status_code == 200
    notification = SalesforceNotification.objects.get()
    assert (notification.status, notification.deleted, notification.event) == ("no_contact", True, None)


def test_a_record_without_an_email_address_is_stored_and_reported(client, connection):
    body = fixture("salesforce_outbound_case.xml").replace(
        b"<sf:ContactEmail>jana.mueller@example.de</sf:ContactEmail>", b""
    )
    assert post(client, connection, body).status_code == 200
    notification = SalesforceNotification.objects.get()
    assert notification.status == "no_contact"
    assert "no e-mail address" in notification.output
    assert not Event.objects.filter(type="salesforce_message").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_deliveries_store_once(connection):
    """Salesforce may deliver the same message again while the first is still being stored."""
    body = fixture("salesforce_outbound_contacts.xml")
    barrier, statuses = threading.Barrier(6), []

    def deliver():
        try:
            barrier.wait()
            statuses.append(post(Client(), connection, body).status_code)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 6
    assert SalesforceNotification.objects.count() == 3
    assert Event.objects.filter(type="salesforce_message").count() == 3
    assert not Contact.objects.exists()  # a notification never creates its contact


def test_a_case_of_an_unknown_address_creates_no_contact_and_sends_no_mail(client, connection, alice_org):
    welcome = automation_for(alice_org, "send_password_to_contact", event_type="contact_created")
    survey = automation_for(alice_org, "send_password_to_contact")
    assert post(client, connection, fixture("salesforce_outbound_case.xml")).status_code == 200
    dispatch_due_runs()
    assert not Contact.objects.exists()
    assert not OutboundMessage.objects.exists()
    assert not Run.objects.filter(automation=welcome).exists()
    # The event still fires, without a contact: a job that needs one is skipped, and says why.
    event = Event.objects.get(type="salesforce_message")
    assert event.contact is None
    run = Run.objects.get(automation=survey)
    assert (run.status, run.error) == (
        "skipped",
        "The event has no contact or system user to act on, and the automation names none.",
    )
    notification = SalesforceNotification.objects.get()
    assert (notification.status, notification.contact, notification.event) == ("unmatched", None, event)
    assert "none has the address jana.mueller@example.de yet" in notification.output


def test_a_record_matches_a_contact_by_its_id_as_external_reference(client, connection, alice_org):
    jana = Contact.objects.create(organization=alice_org, email="jana@old.example", external_ref="0037Q00000LmN4aQAF")
    post(client, connection, fixture("salesforce_outbound_contacts.xml"))
    assert Event.objects.get(external_id="04l7Q00000NfS1aQAF").contact == jana
    assert Contact.objects.count() == 1


def test_a_case_matches_its_contact_by_contact_id(client, connection, alice_org):
    body = fixture("salesforce_outbound_case.xml").replace(b"jana.mueller@example.de", b"")  # no ContactEmail
    jana = Contact.objects.create(organization=alice_org, email="jana@crm.example", external_ref="0037Q00000LmN4aQAF")
    post(client, connection, body)
    assert Event.objects.get(type="salesforce_message").contact == jana
    assert SalesforceNotification.objects.get().status == "processed"
