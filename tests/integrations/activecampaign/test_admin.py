"""The admin page of the ActiveCampaign connection: the API key stored encrypted."""

import json

import pytest
from django.urls import reverse

from engage import crypto
from integrations.activecampaign import services
from integrations.activecampaign.models import ActiveCampaignConnection, Activity, ContactSync, PlanningType, Resync
from tests.conftest import free_port
from tests.factories import ContactFactory
from tests.integrations.activecampaign.conftest import connect, push_due
from tests.payloads import fixture

INLINES = {f"{p}-{k}": "0" for p in ("field_mappings", "list_mappings") for k in ("TOTAL_FORMS", "INITIAL_FORMS")}


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
    assert client.post(change, {**data, **INLINES, "api_key": ""}).status_code == 302
    connection.refresh_from_db()
    assert crypto.decrypt(connection.api_key_encrypted) == "ac-secret-key-987"


@pytest.fixture
def page(client, alice, alice_org, ac):
    client.force_login(alice)
    connection = connect(alice_org, ac.url, sync_enabled=True)
    return connection, reverse("admin:integrations_activecampaignconnection_change", args=[connection.pk])


def press(client, url: str, button: str, **extra):
    form = client.get(url).context["adminform"].form
    data = {"api_url": form.instance.api_url, "api_key": "", "is_active": "on", "sync_enabled": "on", "pool": "",
            **INLINES, button: "x", **extra}  # fmt: skip
    return client.post(url, data, follow=True)


def said(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_test_connection_says_accepted_wrong_token_or_unreachable(client, page, ac, settings):
    connection, url = page
    assert "Connection accepted" in said(press(client, url, "_test_connection"))
    ac.state.token = "another"
    assert "Wrong token" in said(press(client, url, "_test_connection"))
    connection.api_url = f"http://127.0.0.1:{free_port()}"
    connection.save()
    assert "Unreachable" in said(press(client, url, "_test_connection"))


def test_automations_lists_and_fields_are_read_and_picked_by_name(client, page, alice_org):
    connection, url = page
    press(client, url, "_refresh_catalogue")
    connection.refresh_from_db()
    assert connection.names("lists") == {"3": "Newsletter DE", "4": "Newsletter EN"}
    assert connection.names("fields") == {"1": "Kundennummer", "4": "Sprache"}
    page_html = client.get(url).content.decode()
    assert "Kundennummer (1)" in page_html and "Newsletter DE (3)" in page_html
    add = reverse("admin:integrations_planningtype_add")
    assert "Welcome series (42)" in client.get(add).content.decode()
    assert client.post(add, {"name": "Beratung", "automation": "42"}).status_code == 302
    assert client.post(add, {"name": "Typed", "automation": "999"}).status_code == 200  # not in the list


def test_the_webhook_is_registered_for_the_chosen_events(client, page, ac):
    connection, url = page
    response = press(client, url, "_register_webhook", webhook_events=["unsubscribe", "contact_tag_added"])
    assert "Webhook registered" in said(response)
    [hook] = ac.state.bodies("POST", "/api/3/webhooks")
    assert hook["webhook"]["url"].endswith(f"/inbound/activecampaign/{connection.webhook_token}/")
    assert hook["webhook"]["events"] == ["unsubscribe", "contact_tag_added"]
    connection.refresh_from_db()
    assert connection.webhook_ids == [next(iter(ac.state.webhooks))]


def test_a_full_resync_shows_progress_and_failures(client, page, alice_org, ac):
    connection, url = page
    ContactFactory(organization=alice_org, email="ok@example.de")
    ContactFactory(organization=alice_org, email="bad@example.de")
    ContactSync.objects.all().delete()
    press(client, url, "_start_resync")
    resync = Resync.objects.get()
    assert resync.total == 2
    ac.state.fail["/api/3/contact/sync"] = (422, json.loads(fixture("activecampaign_error_422.json")))
    services.process_next(connection)
    ac.state.fail.clear()
    push_due(connection)
    page_html = client.get(reverse("admin:integrations_resync_change", args=[resync.pk])).content.decode()
    assert "2 / 2 (1" in page_html and "Missing attribute" in page_html


def test_the_contact_page_shows_the_sync_state_and_records_activities(client, page, alice_org, ac):
    connection = page[0]
    contact = ContactFactory(organization=alice_org, email="jana@example.de")
    push_due(connection)
    html = client.get(reverse("admin:contacts_contact_change", args=[contact.pk])).content.decode()
    assert "ActiveCampaign" in html and "1842" in html
    planning_type = PlanningType.objects.create(organization=alice_org, name="Beratung", automation="42")
    changelist = reverse("admin:contacts_contact_changelist")
    client.post(changelist, {"action": f"activity_{planning_type.pk}", "_selected_action": [contact.pk]})
    activity = Activity.objects.get(contact=contact)
    push_due(connection)
    activity.refresh_from_db()
    assert activity.status == "synced"
    assert client.get(reverse("admin:integrations_contactsync_changelist") + "?status__exact=synced").status_code == 200


def test_charlie_sees_none_of_alices_activecampaign_pages(client, charlie, page, alice_org):
    url = page[1]
    client.force_login(charlie)
    assert client.get(url).status_code in (302, 403, 404)
    sync = ContactSync.objects.get(contact=ContactFactory(organization=alice_org))
    assert client.get(reverse("admin:integrations_contactsync_change", args=[sync.pk])).status_code in (302, 403, 404)
