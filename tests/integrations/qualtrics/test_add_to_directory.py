"""The job "add to directory", end to end: inbound message → event → run → job → outcome."""

import json

import pytest

from automations.models import Automation, Run
from automations.services import dispatch_due_runs
from contacts.models import AttributeDefinition, Contact, Transaction
from engage.events import record_event
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
