"""The admin pages of the integrations: connections, endpoints, secrets, received notifications."""

from django.urls import reverse

from engage import crypto
from integrations.models import ActiveCampaignConnection, SalesforceConnection, WebhookEndpoint, WebhookSecret
from integrations.webhooks import services


def test_alice_adds_a_salesforce_connection_and_sees_its_endpoint_url(client, alice, alice_org):
    client.force_login(alice)
    add = reverse("admin:integrations_salesforceconnection_add")
    data = {"name": "Acme CRM", "salesforce_organization_id": "00D7Q000004JkLmUAK", "is_active": "on"}
    assert client.post(add, data).status_code == 302
    connection = SalesforceConnection.objects.get()
    assert connection.organization == alice_org
    page = client.get(reverse("admin:integrations_salesforceconnection_change", args=[connection.pk]))
    assert f"/inbound/salesforce/{connection.token}/" in page.content.decode()
    assert 'data-copy="' in page.content.decode()


def test_a_wrong_salesforce_organization_id_is_a_form_error(client, alice):
    client.force_login(alice)
    add = reverse("admin:integrations_salesforceconnection_add")
    response = client.post(add, {"name": "CRM", "salesforce_organization_id": "00D-too-short"})
    assert response.status_code == 200
    assert "15- or 18-character" in str(response.context["adminform"].form.errors)
    assert not SalesforceConnection.objects.exists()


def test_bob_the_marketer_sees_notifications_but_not_connections(client, bob):
    client.force_login(bob)
    assert client.get(reverse("admin:integrations_salesforceconnection_changelist")).status_code == 403
    assert client.get(reverse("admin:integrations_webhookendpoint_changelist")).status_code == 403
    assert client.get(reverse("admin:integrations_activecampaignconnection_add")).status_code == 403
    assert client.get(reverse("admin:integrations_salesforcenotification_changelist")).status_code == 200
    assert client.get(reverse("admin:integrations_inboundnotification_changelist")).status_code == 200


def test_a_new_webhook_endpoint_shows_its_generated_secret_once(client, alice, alice_org):
    client.force_login(alice)
    add = reverse("admin:integrations_webhookendpoint_add")
    data = {"name": "Opacc ERP", "is_active": "on", "new_secret": "", "secrets-TOTAL_FORMS": "0",
            "secrets-INITIAL_FORMS": "0"}  # fmt: skip
    response = client.post(add, data, follow=True)
    endpoint = WebhookEndpoint.objects.get(organization=alice_org)
    [secret] = services.webhook_secrets(endpoint)
    assert secret.startswith("whsec_")
    assert secret in response.content.decode()  # in the message after saving, once
    page = client.get(reverse("admin:integrations_webhookendpoint_change", args=[endpoint.pk])).content.decode()
    assert secret not in page
    assert services.secret_hint(secret) in page
    assert f"/inbound/webhooks/{endpoint.token}/" in page


def test_a_pasted_secret_is_checked_and_stored_encrypted(client, alice, alice_org):
    endpoint = WebhookEndpoint.objects.create(organization=alice_org, name="ERP")
    client.force_login(alice)
    change = reverse("admin:integrations_webhookendpoint_change", args=[endpoint.pk])
    data = {"name": "ERP", "is_active": "on", "secrets-TOTAL_FORMS": "0", "secrets-INITIAL_FORMS": "0"}
    response = client.post(change, {**data, "new_secret": "not-a-secret"})
    assert response.status_code == 200
    assert "whsec_" in str(response.context["adminform"].form.errors)
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    assert client.post(change, {**data, "new_secret": secret}).status_code == 302
    stored = WebhookSecret.objects.get(endpoint=endpoint)
    assert secret not in stored.encrypted and crypto.decrypt(stored.encrypted) == secret


def test_rotation_generates_a_second_secret(client, alice, alice_org):
    endpoint = WebhookEndpoint.objects.create(organization=alice_org, name="ERP")
    first = services.add_webhook_secret(endpoint=endpoint)
    client.force_login(alice)
    change = reverse("admin:integrations_webhookendpoint_change", args=[endpoint.pk])
    secret_id = WebhookSecret.objects.get().pk
    data = {"name": "ERP", "is_active": "on", "generate_secret": "on", "secrets-TOTAL_FORMS": "1",
            "secrets-INITIAL_FORMS": "1", "secrets-0-id": str(secret_id),
            "secrets-0-endpoint": str(endpoint.pk)}  # fmt: skip
    assert client.post(change, data).status_code == 302
    secrets = services.webhook_secrets(endpoint)
    assert len(secrets) == 2 and first in secrets


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
