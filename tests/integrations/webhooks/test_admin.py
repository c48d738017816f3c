"""The admin pages of webhook endpoints: signing secrets generated, pasted and rotated."""

from django.urls import reverse

from engage import crypto
from integrations.webhooks import services
from integrations.webhooks.models import WebhookEndpoint, WebhookSecret


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
