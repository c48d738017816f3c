"""An unknown or inactive inbound token answers in the endpoint's own format (JSON, or a
SOAP fault for Salesforce), the same for every wrong token, never Django's HTML page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.models import ActiveCampaignConnection, SalesforceConnection, WebhookEndpoint
from tests.payloads import SALESFORCE_ORG_ID, fixture, xml_shape

JSON_ENDPOINTS = [
    ("integrations:webhook", b"{}", "application/json"),
    ("integrations:activecampaign", b"contact%5Bemail%5D=jana%40example.de", "application/x-www-form-urlencoded"),
]


@pytest.fixture
def inactive_tokens(alice_org):
    endpoint = WebhookEndpoint.objects.create(organization=alice_org, name="Off", is_active=False)
    campaign = ActiveCampaignConnection.objects.create(
        organization=alice_org, api_url="https://example.api-us1.com", is_active=False
    )
    salesforce = SalesforceConnection.objects.create(
        organization=alice_org, name="Off", salesforce_organization_id=SALESFORCE_ORG_ID, is_active=False
    )
    return {
        "integrations:webhook": endpoint.token,
        "integrations:activecampaign": campaign.webhook_token,
        "integrations:salesforce": salesforce.token,
    }


@pytest.mark.parametrize(("name", "body", "content_type"), JSON_ENDPOINTS)
def test_an_unknown_or_inactive_token_is_a_json_404(client, inactive_tokens, name, body, content_type):
    answers = []
    for token in ["wrong", inactive_tokens[name]]:
        response = client.post(reverse(name, args=[token]), body, content_type=content_type)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        answers.append(response.json())
    assert answers[0] == answers[1] and answers[0]["error"]


def test_an_unknown_or_inactive_salesforce_token_is_a_soap_fault_with_404(client, inactive_tokens):
    answers = []
    for token in ["wrong", inactive_tokens["integrations:salesforce"]]:
        url = reverse("integrations:salesforce", args=[token])
        response = client.post(url, fixture("salesforce_outbound_case.xml"), content_type="text/xml")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/xml")
        answers.append(dict(xml_shape(response.content)))
    assert answers[0] == answers[1]
    assert answers[0]["faultcode"] == "soapenv:Client" and "token" in answers[0]["faultstring"]
