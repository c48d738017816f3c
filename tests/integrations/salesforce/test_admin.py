"""The admin pages of the Salesforce integration: connections and their endpoint URL."""

from django.urls import reverse

from integrations.salesforce.models import SalesforceConnection


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
