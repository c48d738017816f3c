"""The job "add to directory", end to end: inbound message → event → run → job → outcome."""

import json

import pytest

from automations.models import Automation, Run
from automations.services import dispatch_due_runs
from contacts.models import AttributeDefinition, Contact, Group, Membership, Transaction
from contacts.services import create_contact
from engage.events import record_event
from integrations.salesforce.models import SalesforceNotification, SalesforceRecord
from tests.factories import ContactFactory
from tests.integrations.helpers import automation_for, deliver_salesforce

DIRECTORY = {
    "email": "{{ event.payload.fields.Email }}",
    "first_name": "{{ event.payload.fields.FirstName }}",
    "last_name": "{{ event.payload.fields.LastName }}",
    "mapping": json.dumps(
        {
            "customer_number": "{{ event.payload.fields.Kundennummer__c }}",
            "city": "{{ event.payload.fields.MailingCity }}",
        }
    ),
    "save_as": "attributes",
    "transaction_type": "",
}


def test_salesforce_contacts_are_added_to_the_directory_with_embedded_data(client, alice_org):
    automation = automation_for(alice_org, "add_to_directory", **DIRECTORY)
    deliver_salesforce(client, alice_org, "salesforce_outbound_contacts.xml")
    runs = Run.objects.filter(automation=automation)
    assert [run.status for run in runs] == ["succeeded"] * 3, [run.error for run in runs]
    jana = Contact.objects.get(organization=alice_org, email="jana.mueller@example.de")
    assert (jana.first_name, jana.last_name) == ("Jana", "Müller")
    assert jana.attributes == {"customer_number": "K-100234", "city": "Zürich"}
    lea = Contact.objects.get(organization=alice_org, email="lea.frei@example.org")
    assert lea.attributes == {"customer_number": "", "city": ""}  # a Lead has neither field
    run = runs.get(contact=jana)
    assert run.output["fields"] == {"customer_number": "K-100234", "city": "Zürich"}


def test_a_defined_attribute_gets_its_type_checked(client, alice_org):
    AttributeDefinition.objects.create(organization=alice_org, key="customer_number", label="Number", type="number")
    automation = automation_for(alice_org, "add_to_directory", **DIRECTORY)
    deliver_salesforce(client, alice_org, "salesforce_outbound_contacts.xml")
    run = Run.objects.get(automation=automation, event__external_id="04l7Q00000NfS1aQAF")  # Jana's Contact
    assert run.status == "failed"
    assert "“K-100234” is not a valid Number" in run.error
    assert not Contact.objects.filter(email="jana.mueller@example.de").exists()  # nothing half added


def test_a_missing_required_value_fails_the_run_and_says_which(client, alice_org):
    automation = automation_for(alice_org, "add_to_directory", **DIRECTORY)
    deliver_salesforce(client, alice_org, "salesforce_outbound_case.xml")  # a Case has no FirstName
    run = Run.objects.get(automation=automation)
    assert run.status == "failed"
    assert "The e-mail address is required" in run.error
    assert "{{ event.payload.fields.Email }}" in run.error


def test_fields_are_saved_as_a_transaction_on_an_existing_contact(alice_org):
    jana = ContactFactory(organization=alice_org, email="jana.mueller@example.de", first_name="J")
    params = {**DIRECTORY, "save_as": "transaction", "transaction_type": "crm_update"}
    automation = automation_for(alice_org, "add_to_directory", event_type="manual", **params)
    payload = {"fields": {"Email": "Jana.Mueller@example.de", "FirstName": "Jana", "LastName": "Müller",
                          "Kundennummer__c": "K-1", "MailingCity": "Bern"}}  # fmt: skip
    record_event(organization=alice_org, type="manual", contact=jana, payload=payload)
    dispatch_due_runs()
    assert Run.objects.get(automation=automation).status == "succeeded"
    transaction = Transaction.objects.get(contact=jana)
    assert (transaction.type, transaction.data) == ("crm_update", {"customer_number": "K-1", "city": "Bern"})
    jana.refresh_from_db()
    assert (jana.first_name, jana.attributes) == ("Jana", {})


def test_a_transaction_needs_an_existing_contact(alice_org):
    params = {**DIRECTORY, "save_as": "transaction", "transaction_type": "crm_update"}
    automation = automation_for(alice_org, "add_to_directory", event_type="manual", **params)
    payload = {"fields": {"Email": "new@example.com", "FirstName": "N", "LastName": "N"}}
    record_event(organization=alice_org, type="manual", contact=ContactFactory(organization=alice_org), payload=payload)
    dispatch_due_runs()
    run = Run.objects.get(automation=automation)
    assert run.status == "failed" and "No contact has the e-mail address new@example.com" in run.error
    assert not Contact.objects.filter(email="new@example.com").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"mapping": "{not json"}, "Not valid JSON"),
        ({"mapping": '{"bad key": "x"}'}, "bad key"),
        ({"mapping": '{"a": 1}'}, "JSON object of names and texts"),
        ({"first_name": "{% if event.payload %}"}, "Invalid dynamic text"),
        ({"save_as": "transaction", "transaction_type": ""}, "Name the transaction type"),
        ({"email": ""}, "required"),
    ],
)
def test_directory_parameters_are_checked(alice_org, change, message):
    automation = Automation(organization=alice_org, name="x", event_type="salesforce_message",
                            job_type="add_to_directory", job_params={**DIRECTORY, **change})  # fmt: skip
    with pytest.raises(Exception, match=message):
        automation.full_clean()


STANDARD = {
    **DIRECTORY,
    "phone": "{{ event.payload.fields.Phone|default:'' }}",
    "language": "de_CH",
    "external_ref": "{{ event.payload.id }}",
}


def test_a_new_contact_gets_its_standard_fields_and_joins_the_chosen_group(client, alice_org):
    newsletter = Group.objects.create(organization=alice_org, name="Newsletter")
    automation = automation_for(alice_org, "add_to_directory", **STANDARD, group=newsletter.pk)
    deliver_salesforce(client, alice_org, "salesforce_outbound_contacts.xml")
    jana = Contact.objects.get(organization=alice_org, email="jana.mueller@example.de")
    assert (jana.first_name, jana.last_name, jana.phone) == ("Jana", "Müller", "+41 44 123 45 67")
    assert (jana.language, jana.external_ref) == ("de", "0037Q00000LmN4aQAF")
    assert Membership.objects.get(contact=jana).group == newsletter
    peter = Contact.objects.get(organization=alice_org, email__iexact="peter.keller@example.ch")
    assert peter.phone == ""  # Salesforce sent no phone (xsi:nil)
    # The contact the job created is the run's, and its event's.
    run = Run.objects.get(automation=automation, event__external_id="04l7Q00000NfS1aQAF")
    assert (run.status, run.contact, run.event.contact) == ("succeeded", jana, jana)
    assert run.output["group"] == "Newsletter"


def test_an_empty_optional_value_leaves_the_existing_contact_as_it_is(alice_org):
    jana = ContactFactory(organization=alice_org, email="jana@example.de", phone="+41 1", external_ref="X-1")
    automation = automation_for(alice_org, "add_to_directory", event_type="manual", **STANDARD)
    payload = {"fields": {"Email": "jana@example.de", "FirstName": "Jana", "LastName": "M", "Phone": None}}
    record_event(organization=alice_org, type="manual", contact=jana, payload=payload)
    dispatch_due_runs()
    assert Run.objects.get(automation=automation).status == "succeeded"
    jana.refresh_from_db()
    assert (jana.phone, jana.external_ref, jana.language) == ("+41 1", "X-1", "de")


def test_a_language_the_directory_does_not_have_fails_the_run_and_adds_nobody(alice_org):
    automation = automation_for(alice_org, "add_to_directory", event_type="manual",
                                **{**STANDARD, "language": "{{ event.payload.lang }}"})  # fmt: skip
    payload = {"lang": "Klingon", "fields": {"Email": "new@example.com", "FirstName": "N", "LastName": "N"}}
    record_event(organization=alice_org, type="manual", contact=ContactFactory(organization=alice_org), payload=payload)
    dispatch_due_runs()
    run = Run.objects.get(automation=automation)
    assert run.status == "failed" and "“Klingon” is not a language of the directory (en, de)" in run.error
    assert not Contact.objects.filter(email="new@example.com").exists()


def test_the_next_step_of_the_workflow_acts_on_the_contact_the_directory_added(client, alice_org):
    """Salesforce → add to directory → (automation finished) → the next job, for the new contact."""
    directory = automation_for(alice_org, "add_to_directory", **STANDARD)
    tag = Automation(organization=alice_org, name="tag", event_type="automation_finished", after_automation=directory,
                     job_type="add_tag", job_params={"tag": "from-crm"})  # fmt: skip
    tag.full_clean()
    tag.save()
    deliver_salesforce(client, alice_org, "salesforce_outbound_contacts.xml")
    dispatch_due_runs()
    jana = Contact.objects.get(organization=alice_org, email="jana.mueller@example.de")
    assert list(jana.tags.values_list("name", flat=True)) == ["from-crm"]


def test_a_contact_created_later_is_linked_to_the_notifications_that_named_it(client, alice_org):
    deliver_salesforce(client, alice_org, "salesforce_outbound_contacts.xml")
    notification = SalesforceNotification.objects.get(notification_id="04l7Q00000NfS1aQAF")
    assert (notification.status, notification.contact) == ("unmatched", None)
    jana = create_contact(organization=alice_org, email="Jana.Mueller@example.de", source="admin")
    notification.refresh_from_db()
    assert (notification.status, notification.contact) == ("processed", jana)
    assert notification.event.contact == jana
    assert SalesforceRecord.objects.get(object_id="0037Q00000LmN4aQAF").contact == jana
    # Only the notifications naming her are linked, not Peter's or Lea's.
    assert SalesforceNotification.objects.filter(contact__isnull=False).count() == 1


def test_charlies_new_contact_does_not_take_alices_notifications(client, alice_org, charlie_org):
    deliver_salesforce(client, alice_org, "salesforce_outbound_contacts.xml")
    create_contact(organization=charlie_org, email="jana.mueller@example.de", source="admin")
    assert not SalesforceNotification.objects.filter(contact__isnull=False).exists()
    assert not SalesforceRecord.objects.filter(contact__isnull=False).exists()
