"""ActiveCampaign's webhooks: POST /inbound/activecampaign/<token>/."""

import pytest
from django.urls import reverse

from automations.models import Event
from integrations.activecampaign.models import ActiveCampaignConnection
from integrations.common.models import InboundNotification
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
