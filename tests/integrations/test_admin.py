"""Who sees which admin pages of the integrations: connections only organization admins,
received notifications marketers too."""

from django.urls import reverse


def test_bob_the_marketer_sees_notifications_but_not_connections(client, bob):
    client.force_login(bob)
    assert client.get(reverse("admin:integrations_salesforceconnection_changelist")).status_code == 403
    assert client.get(reverse("admin:integrations_webhookendpoint_changelist")).status_code == 403
    assert client.get(reverse("admin:integrations_activecampaignconnection_add")).status_code == 403
    assert client.get(reverse("admin:integrations_salesforcenotification_changelist")).status_code == 200
    assert client.get(reverse("admin:integrations_inboundnotification_changelist")).status_code == 200
