"""Salesforce workflows with conditions on the record's fields (`Status equals Closed`),
checked when the run is due against the record's latest state, and bound to one
connection if the marketer wants."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from automations.conditions import Condition
from automations.models import Automation, Run
from automations.services import dispatch_due_runs
from contacts.models import Contact
from integrations.salesforce.models import SalesforceConnection
from tests.integrations.helpers import automation_for, deliver_salesforce
from tests.payloads import SALESFORCE_ORG_ID, fixture
from tests.test_automation_rules import form_data

ADD_URL = "/admin/automations/automation/add/"


@pytest.fixture
def jana(alice_org):
    return Contact.objects.create(organization=alice_org, email="jana.mueller@example.de")


def bound(org, name, **binding) -> Automation:
    automation = automation_for(org, "add_tag", tag=name)
    Automation.objects.filter(pk=automation.pk).update(**binding)
    return automation


def reopened_case() -> str:
    """The Case of salesforce_outbound_case.xml, sent again later with Status New."""
    return (
        fixture("salesforce_outbound_case.xml")
        .decode()
        .replace("<Id>04l7Q00000NfR8sQAF</Id>", "<Id>04l7Q00000NfR9sQAF</Id>")
        .replace("<sf:Status>Closed</sf:Status>", "<sf:Status>New</sf:Status>")
        .replace("<sf:LastModifiedDate>2024-05-14T09:12:33.000Z", "<sf:LastModifiedDate>2024-05-14T10:00:00.000Z")
    )


def test_a_run_starts_only_if_the_record_meets_the_conditions(client, alice_org, jana):
    closed = bound(
        alice_org, "closed", salesforce_conditions=[{"field": "Status", "operator": "equals", "value": "Closed"}]
    )
    new = bound(alice_org, "new", salesforce_conditions=[{"field": "Status", "operator": "equals", "value": "new"}])
    deliver_salesforce(client, alice_org, "salesforce_outbound_case.xml")
    assert Run.objects.get(automation=closed).status == Run.Status.SUCCEEDED
    skipped = Run.objects.get(automation=new)
    assert skipped.status == Run.Status.SKIPPED
    assert "Case 5007Q00000Bx3kPQAR no longer meets the condition “Status equals new”" in skipped.error
    assert "its Status is now “Closed”" in skipped.error


def test_a_case_reopened_during_the_delay_is_skipped_with_a_note(client, alice_org, jana, time_machine):
    survey = bound(
        alice_org, "survey", salesforce_object="Case", delay_unit="hours", delay_value=2,
        salesforce_conditions=[{"field": "Status", "operator": "equals", "value": "Closed"}],
    )  # fmt: skip
    deliver_salesforce(client, alice_org, "salesforce_outbound_case.xml")
    connection = SalesforceConnection.objects.get()
    url = f"/inbound/salesforce/{connection.token}/"
    assert client.post(url, reopened_case(), content_type="text/xml").status_code == 200
    time_machine.move_to(timezone.now() + timedelta(hours=3))
    dispatch_due_runs()
    first = Run.objects.filter(automation=survey).order_by("id").first()
    assert first.status == Run.Status.SKIPPED
    assert "no longer meets the condition “Status equals Closed” (its Status is now “New”)" in first.error


@pytest.mark.parametrize(
    ("operator", "value", "holds"),
    [
        ("equals", " closed ", True),
        ("equals", "Open", False),
        ("not_equals", "Open", True),
        ("not_equals", "CLOSED", False),
        ("contains", "bestellung 4711", True),
        ("contains", "4712", False),
        ("in", "New, Closed", True),
        ("in", "New, Escalated", False),
        ("empty", "", False),
        ("not_empty", "", True),
    ],
)
def test_each_comparison(operator, value, holds):
    fields = {"Status": "Closed", "Subject": "Lieferung unvollständig – Bestellung 4711"}
    field = "Subject" if operator == "contains" else "Status"
    assert Condition(field, operator, value).holds(fields) is holds


def test_a_missing_field_is_empty_and_a_related_record_is_named_with_a_dot():
    fields = {"Account": {"Name": "Acme AG"}, "SuppliedName": None}
    assert Condition("SuppliedName", "empty").holds(fields)
    assert Condition("Nowhere", "empty").holds(fields)
    assert Condition("Account.Name", "equals", "acme ag").holds(fields)


def test_an_automation_bound_to_a_connection_starts_only_for_its_notifications(client, alice_org, jana):
    other = SalesforceConnection.objects.create(
        organization=alice_org, name="Other org", salesforce_organization_id=SALESFORCE_ORG_ID
    )
    mine = bound(alice_org, "mine", salesforce_connection_id=other.pk)
    deliver_salesforce(client, alice_org, "salesforce_outbound_case.xml")  # through the connection "CRM"
    assert not Run.objects.filter(automation=mine).exists()
    assert (
        client.post(f"/inbound/salesforce/{other.token}/", reopened_case(), content_type="text/xml").status_code == 200
    )
    assert Run.objects.filter(automation=mine).count() == 1


# --- Admin -----------------------------------------------------------------------------
def conditions_data(*rows) -> dict[str, str]:
    data = {}
    for number, (field, operator, value) in enumerate(rows):
        data |= {
            f"salesforce_conditions-{number}-field": field,
            f"salesforce_conditions-{number}-operator": operator,
            f"salesforce_conditions-{number}-value": value,
        }
    return data


def test_the_admin_saves_conditions_and_a_connection(client, alice, alice_org):
    connection = SalesforceConnection.objects.create(
        organization=alice_org, name="CRM", salesforce_organization_id=SALESFORCE_ORG_ID
    )
    client.force_login(alice)
    data = form_data(
        event_type="salesforce_message", salesforce_object="Case", salesforce_connection_id=str(connection.pk),
        **conditions_data(("Status", "equals", "Closed"), ("Priority", "in", "High, Medium"), ("", "equals", "")),
    )  # fmt: skip
    assert client.post(ADD_URL, data).status_code == 302
    automation = Automation.objects.get()
    assert automation.salesforce_connection_id == connection.pk
    assert automation.salesforce_conditions == [
        {"field": "Status", "operator": "equals", "value": "Closed"},
        {"field": "Priority", "operator": "in", "value": "High, Medium"},
    ]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (("Status", "equals", ""), "Condition 1: enter the value to compare with."),
        (("", "equals", "Closed"), "Condition 1: choose the field."),
        (("Status; DROP", "equals", "Closed"), "is not a Salesforce field name"),
        (("Status", "empty", "Closed"), "takes no value"),
        (("Status", "like", "Closed"), "choose how to compare"),
        (("Status", "in", " , "), "list the values"),
    ],
)
def test_a_bad_condition_is_a_form_error(client, alice, row, message):
    client.force_login(alice)
    response = client.post(ADD_URL, form_data(event_type="salesforce_message", **conditions_data(row)))
    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors["salesforce_conditions"])
    assert not Automation.objects.exists()


def test_another_organizations_connection_cannot_be_chosen(client, alice, charlie_org):
    theirs = SalesforceConnection.objects.create(
        organization=charlie_org, name="Theirs", salesforce_organization_id=SALESFORCE_ORG_ID
    )
    client.force_login(alice)
    data = form_data(event_type="salesforce_message", salesforce_connection_id=str(theirs.pk))
    response = client.post(ADD_URL, data)
    assert (
        "Choose a Salesforce connection of this organization."
        in response.context["adminform"].form.errors["salesforce_connection_id"][0]
    )
    assert "Theirs" not in response.content.decode()


def test_the_form_offers_the_objects_and_fields_of_recent_notifications(client, alice, alice_org, charlie_org, jana):
    deliver_salesforce(client, alice_org, "salesforce_outbound_case.xml")
    deliver_salesforce(client, charlie_org, "salesforce_outbound_contacts.xml")  # another organization's
    client.force_login(alice)
    response = client.get(ADD_URL)
    offered = response.context["salesforce_objects"]
    assert list(offered) == ["Case"]
    assert {"Status", "Priority", "ContactEmail"} <= set(offered["Case"])
    page = response.content.decode()
    assert '<datalist id="salesforce-objects"><option value="Case"></option></datalist>' in page
    assert '<option value="04k7Q000000GqT2QAK" label="Outbound message for Case"></option>' in page
    assert '<option value="" selected>Any connection</option>' in page and ">CRM</option>" in page
