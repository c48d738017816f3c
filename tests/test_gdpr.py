"""A contact's data-protection rights: a full copy of their data, and erasure."""

import json

import pytest

from automations.models import Event, Run
from contacts import gdpr, services
from contacts.models import ConsentRecord, Contact, Group, Membership
from notifications.models import OutboundMessage
from tests.factories import AutomationFactory


@pytest.fixture
def erika(alice_org, smtp_server, django_capture_on_commit_callbacks):
    AutomationFactory(organization=alice_org)  # contact created → password mail
    news = Group.objects.create(organization=alice_org, name="News")
    with django_capture_on_commit_callbacks(execute=True):
        contact = services.create_contact(
            organization=alice_org, email="erika@example.com", first_name="Erika", phone="+41 44 000 00 00"
        )
    services.add_tag(contact=contact, name="vip")
    services.subscribe(contact=contact, group=news, source="test", ip_address="192.0.2.7")
    services.add_transaction(contact=contact, type="order", data={"total": 99, "street": "Bahnhofstrasse 1"})
    return contact


def test_export_contains_everything_we_hold(erika):
    data = gdpr.export_contact(erika)
    assert data["contact"]["email"] == "erika@example.com"
    assert data["tags"] == ["vip"]
    assert data["groups"][0]["group"] == "News"
    assert data["transactions"][0]["data"]["street"] == "Bahnhofstrasse 1"
    assert data["consents"][0]["ip_address"] == "192.0.2.7"
    assert {e["type"] for e in data["events"]} == {"contact_created", "subscribed"}
    assert data["messages"][0]["status"] == "sent"
    json.dumps(data)  # it is JSON


def test_erasure_removes_personal_data_and_keeps_anonymous_statistics(erika):
    gdpr.erase_contact(erika)
    erika.refresh_from_db()
    assert erika.erased_at is not None
    assert erika.email == f"erased-{erika.pk}@erased.invalid"
    assert (erika.first_name, erika.phone, erika.attributes, erika.password) == ("", "", {}, "")
    assert not erika.tags.exists()
    assert erika.transactions.get().data == {}
    assert Membership.objects.get(contact=erika).state == "unsubscribed"
    assert ConsentRecord.objects.get(contact=erika).ip_address is None
    message = OutboundMessage.objects.get(contact=erika)
    assert message.status == "sent" and "erika" not in (message.recipient + message.subject + message.text_body)
    # Statistics: the same number of events, runs and messages as before.
    assert Event.objects.filter(contact=erika).count() == 2
    assert Run.objects.filter(contact=erika).count() == 1
    everything = json.dumps(gdpr.export_contact(Contact.objects.get(pk=erika.pk)))
    assert "Erika" not in everything and "Bahnhofstrasse" not in everything and "192.0.2.7" not in everything


def test_jobs_refuse_an_erased_contact(erika, alice_org):
    from automations.services import dispatch_due_runs
    from engage.events import record_event

    gdpr.erase_contact(erika)
    AutomationFactory(organization=alice_org, event_type="manual")
    record_event(organization=alice_org, type="manual", contact=erika)
    dispatch_due_runs()
    run = Run.objects.get(event__type="manual")
    assert run.status == Run.Status.FAILED and "erased" in run.error


def test_admin_actions_export_and_erase_after_confirmation(client, alice, erika):
    client.force_login(alice)
    url = "/admin/contacts/contact/"
    exported = client.post(url, {"action": "export_personal_data", "_selected_action": [erika.pk]})
    assert exported["Content-Type"].startswith("application/json")
    assert json.loads(exported.content)["contact"]["email"] == "erika@example.com"
    confirmation = client.post(url, {"action": "erase_personal_data", "_selected_action": [erika.pk]})
    assert "cannot be undone" in confirmation.text
    assert Contact.objects.get(pk=erika.pk).erased_at is None
    client.post(url, {"action": "erase_personal_data", "_selected_action": [erika.pk], "confirmed": "yes"})
    assert Contact.objects.get(pk=erika.pk).erased_at is not None


def test_charlie_cannot_export_or_erase_alices_contacts(client, charlie, erika):
    client.force_login(charlie)
    url = "/admin/contacts/contact/"
    response = client.post(url, {"action": "export_personal_data", "_selected_action": [erika.pk]})
    assert b"erika@example.com" not in response.content
    client.post(url, {"action": "erase_personal_data", "_selected_action": [erika.pk], "confirmed": "yes"})
    assert Contact.objects.get(pk=erika.pk).erased_at is None
