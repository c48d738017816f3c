"""The admin page of the ActiveCampaign connection: the API key stored encrypted."""

from django.urls import reverse

from engage import crypto
from integrations.activecampaign.models import ActiveCampaignConnection


def test_the_activecampaign_key_is_stored_encrypted_and_never_shown(client, alice, alice_org):
    client.force_login(alice)
    add = reverse("admin:integrations_activecampaignconnection_add")
    response = client.post(add, {"api_url": "https://example.api-us1.com", "api_key": "", "is_active": "on"})
    assert "Enter the API key" in str(response.context["adminform"].form.errors)
    response = client.post(add, {"api_url": "http://10.0.0.1", "api_key": "k", "is_active": "on"})
    assert "API URL" in str(response.context["adminform"].form.errors)
    data = {"api_url": "https://example.api-us1.com/", "api_key": "ac-secret-key-987", "is_active": "on"}
    assert client.post(add, data).status_code == 302
    connection = ActiveCampaignConnection.objects.get(organization=alice_org)
    assert connection.api_url == "https://example.api-us1.com"
    assert "ac-secret-key-987" not in connection.api_key_encrypted
    assert crypto.decrypt(connection.api_key_encrypted) == "ac-secret-key-987"
    change = reverse("admin:integrations_activecampaignconnection_change", args=[connection.pk])
    page = client.get(change).content.decode()
    assert "ac-secret-key-987" not in page
    assert f"/inbound/activecampaign/{connection.webhook_token}/" in page
    # Saving without a key keeps the stored one.
    assert client.post(change, {**data, "api_key": ""}).status_code == 302
    connection.refresh_from_db()
    assert crypto.decrypt(connection.api_key_encrypted) == "ac-secret-key-987"
