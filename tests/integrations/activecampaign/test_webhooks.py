"""ActiveCampaign's webhooks: POST /inbound/activecampaign/<token>/."""

import pytest
from django.urls import reverse

from automations.models import Event
from contacts import services as contacts
from contacts.models import ConsentRecord, Contact, Group, Membership
from integrations.activecampaign.models import ActiveCampaignConnection, ListMapping
from integrations.common.models import InboundNotification
from tests.factories import ContactFactory
from tests.payloads import fixture


@pytest.fixture
def activecampaign(alice_org):
    return ActiveCampaignConnection.objects.create(organization=alice_org, api_url="https://example.api-us1.com")


def post_form(client, token: str, body: bytes):
    url = reverse("integrations:activecampaign", args=[token])
    return client.post(url, body, content_type="application/x-www-form-urlencoded")


def test_an_activecampaign_webhook_fires_an_event_with_its_fields(client, activecampaign, alice_org):
    response = post_form(client, activecampaign.webhook_token, fixture("activecampaign_webhook_subscribe.txt"))
    assert response.status_code == 200
    event = Event.objects.get(type="external_notification")
    assert event.contact.email == "jana.mueller@example.de"
    assert event.contact.organization == alice_org
    assert event.source == "activecampaign"
    assert event.payload["type"] == "subscribe"
    assert event.payload["contact"]["first_name"] == "Jana"
    assert event.payload["contact"]["last_name"] == "Müller"
    assert event.payload["contact"]["fields"] == {"kundennummer": "K-100234", "sprache": "de"}
    assert event.payload["form"] == {"id": "7"}
    assert InboundNotification.objects.get().source == "activecampaign"


def test_the_same_activecampaign_webhook_twice_fires_once(client, activecampaign):
    for _ in range(2):
        response = post_form(client, activecampaign.webhook_token, fixture("activecampaign_webhook_subscribe.txt"))
        assert response.status_code == 200
    assert Event.objects.filter(type="external_notification").count() == 1


def test_an_activecampaign_webhook_with_a_wrong_token_is_a_404(client, activecampaign):
    assert post_form(client, "wrong", fixture("activecampaign_webhook_subscribe.txt")).status_code == 404
    activecampaign.is_active = False
    activecampaign.save()
    body = fixture("activecampaign_webhook_subscribe.txt")
    assert post_form(client, activecampaign.webhook_token, body).status_code == 404
    assert not InboundNotification.objects.exists()


def test_an_activecampaign_webhook_that_is_not_form_data_is_a_400(client, activecampaign):
    assert post_form(client, activecampaign.webhook_token, b"\xff\xfe\x00").status_code == 400
    assert not InboundNotification.objects.exists()


def test_a_json_body_is_a_415(client, activecampaign):
    url = reverse("integrations:activecampaign", args=[activecampaign.webhook_token])
    response = client.post(
        url, {"type": "subscribe", "contact": {"email": "x@example.com"}}, content_type="application/json"
    )
    assert response.status_code == 415
    assert not InboundNotification.objects.exists()


def test_a_contact_created_from_a_webhook_gets_names_and_phone(client, activecampaign, alice_org):
    post_form(client, activecampaign.webhook_token, fixture("activecampaign_webhook_subscribe.txt"))
    contact = Contact.objects.get(organization=alice_org, email="jana.mueller@example.de")
    assert (contact.first_name, contact.last_name, contact.phone) == ("Jana", "Müller", "+41 44 123 45 67")


def test_a_matched_contact_keeps_its_own_names_and_gets_a_missing_phone(client, activecampaign, alice_org):
    ContactFactory(
        organization=alice_org, email="jana.mueller@example.de", first_name="Johanna", last_name="M.", phone=""
    )
    post_form(client, activecampaign.webhook_token, fixture("activecampaign_webhook_subscribe.txt"))
    contact = Contact.objects.get(organization=alice_org, email="jana.mueller@example.de")
    assert (contact.first_name, contact.last_name, contact.phone) == ("Johanna", "M.", "+41 44 123 45 67")


def unsubscribe_body(list_id: str) -> bytes:
    body = fixture("activecampaign_webhook_subscribe.txt").decode()
    return body.replace("type=subscribe", "type=unsubscribe").replace("list=3", f"list={list_id}").encode()


def test_an_unsubscribe_there_unsubscribes_the_mapped_group_here(client, activecampaign, alice_org):
    jana = ContactFactory(organization=alice_org, email="jana.mueller@example.de")
    group = Group.objects.create(organization=alice_org, name="Newsletter DE")
    other = Group.objects.create(organization=alice_org, name="Events")
    ListMapping.objects.create(connection=activecampaign, group=group, remote_list="3")
    contacts.subscribe(contact=jana, group=group, source="test")
    contacts.subscribe(contact=jana, group=other, source="test")
    assert post_form(client, activecampaign.webhook_token, unsubscribe_body("3")).status_code == 200
    assert Membership.objects.get(contact=jana, group=group).state == "unsubscribed"
    assert Membership.objects.get(contact=jana, group=other).state == "subscribed"
    consent = ConsentRecord.objects.filter(contact=jana, group=group).latest("at")
    assert (consent.action, consent.source) == ("unsubscribed", "ActiveCampaign")


def test_an_unsubscribe_from_an_unmapped_list_changes_no_group(client, activecampaign, alice_org):
    jana = ContactFactory(organization=alice_org, email="jana.mueller@example.de")
    group = Group.objects.create(organization=alice_org, name="Newsletter DE")
    contacts.subscribe(contact=jana, group=group, source="test")
    post_form(client, activecampaign.webhook_token, unsubscribe_body("99"))
    assert Membership.objects.get(contact=jana, group=group).state == "subscribed"


@pytest.mark.parametrize(("kind", "has_tag"), [("contact_tag_added", True), ("contact_tag_removed", False)])
def test_a_tag_added_or_removed_there_is_mirrored_here(client, activecampaign, alice_org, kind, has_tag):
    jana = ContactFactory(organization=alice_org, email="jana.mueller@example.de")
    if not has_tag:
        contacts.add_tag(contact=jana, name="vip")
    body = f"type={kind}&tag=vip&contact%5Bemail%5D=jana.mueller%40example.de&contact%5Bid%5D=1842".encode()
    assert post_form(client, activecampaign.webhook_token, body).status_code == 200
    assert jana.tags.filter(name="vip").exists() is has_tag


def test_charlies_list_mapping_does_not_unsubscribe_alices_contact(client, activecampaign, alice_org, charlie_org):
    charlies = ActiveCampaignConnection.objects.create(organization=charlie_org, api_url="https://c.api-us1.com")
    jana = ContactFactory(organization=alice_org, email="jana.mueller@example.de")
    group = Group.objects.create(organization=alice_org, name="Newsletter DE")
    contacts.subscribe(contact=jana, group=group, source="test")
    charlie_group = Group.objects.create(organization=charlie_org, name="C")
    ListMapping.objects.create(connection=charlies, group=charlie_group, remote_list="3")
    post_form(client, charlies.webhook_token, unsubscribe_body("3"))
    assert Membership.objects.get(contact=jana, group=group).state == "subscribed"
