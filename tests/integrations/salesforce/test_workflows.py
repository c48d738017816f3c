"""Salesforce workflows: an automation bound to one object type (and optionally one outbound
message) starts only for notifications of it."""

import pytest

from automations.models import Automation, Run
from contacts.models import Contact
from tests.integrations.helpers import automation_for, deliver_salesforce
from tests.test_automation_rules import form_data

CASE_MESSAGE = "04k7Q000000GqT2QAK"  # the ActionId of salesforce_outbound_case.xml
CONTACT_MESSAGE = "04k7Q000000GqU9QAK"  # … and of salesforce_outbound_contacts.xml


@pytest.fixture
def people(alice_org):
    for email in ("jana.mueller@example.de", "peter.keller@example.ch", "lea.frei@example.org"):
        Contact.objects.create(organization=alice_org, email=email)


def bound(org, name, **binding) -> Automation:
    automation = automation_for(org, "add_tag", tag=name)
    Automation.objects.filter(pk=automation.pk).update(**binding)
    return automation


def objects_started(automation) -> list[str]:
    runs = Run.objects.filter(automation=automation).select_related("event")
    return sorted(run.event.payload["object_type"] for run in runs)


def test_a_case_notification_starts_only_the_case_bound_automation(client, alice_org, people):
    survey = bound(alice_org, "survey", salesforce_object="Case")
    leads = bound(alice_org, "leads", salesforce_object="lead")  # any letter case
    every = bound(alice_org, "every")
    deliver_salesforce(client, alice_org, "salesforce_outbound_case.xml")
    deliver_salesforce(client, alice_org, "salesforce_outbound_contacts.xml")
    assert objects_started(survey) == ["Case"]
    assert objects_started(leads) == ["Lead"]
    assert objects_started(every) == ["Case", "Contact", "Contact", "Lead"]
    assert Run.objects.get(automation=survey).status == "succeeded"


@pytest.mark.parametrize("action_id", [CONTACT_MESSAGE, CONTACT_MESSAGE[:15]])
def test_an_automation_bound_to_an_outbound_message_starts_only_for_it(client, alice_org, people, action_id):
    contacts = bound(alice_org, "contacts", salesforce_action_id=action_id)
    deliver_salesforce(client, alice_org, "salesforce_outbound_case.xml")
    deliver_salesforce(client, alice_org, "salesforce_outbound_contacts.xml")
    assert objects_started(contacts) == ["Contact", "Contact", "Lead"]


def test_object_and_message_together_must_both_match(client, alice_org, people):
    nothing = bound(alice_org, "nothing", salesforce_object="Case", salesforce_action_id=CONTACT_MESSAGE)
    deliver_salesforce(client, alice_org, "salesforce_outbound_case.xml")
    deliver_salesforce(client, alice_org, "salesforce_outbound_contacts.xml")
    assert objects_started(nothing) == []


def test_the_admin_binds_an_automation_to_a_custom_object(client, alice):
    client.force_login(alice)
    data = form_data(event_type="salesforce_message", salesforce_object="Invoice__c", salesforce_action_id="")
    assert client.post("/admin/automations/automation/add/", data).status_code == 302
    assert Automation.objects.get().salesforce_object == "Invoice__c"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("salesforce_object", "Case; DROP", "API name of a Salesforce object"),
        ("salesforce_object", "__c", "API name of a Salesforce object"),
        ("salesforce_action_id", "04k7Q000000GqT2", None),  # 15 characters: fine
        ("salesforce_action_id", "04k7Q000000GqT2QA", "15 or 18 letters and digits"),
        ("salesforce_action_id", "04k7Q000000GqT2QA!", "15 or 18 letters and digits"),
    ],
)
def test_the_binding_is_checked_in_the_admin(client, alice, field, value, message):
    client.force_login(alice)
    response = client.post(
        "/admin/automations/automation/add/", form_data(event_type="salesforce_message", **{field: value})
    )
    if message is None:
        assert response.status_code == 302
    else:
        assert response.status_code == 200
        assert message in " ".join(response.context["adminform"].form.errors[field])


def test_another_event_keeps_no_salesforce_binding(client, alice):
    client.force_login(alice)
    client.post("/admin/automations/automation/add/", form_data(salesforce_object="Case"))
    assert Automation.objects.get().salesforce_object == ""
