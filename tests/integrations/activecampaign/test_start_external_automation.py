"""The job "start external automation", end to end against a fake ActiveCampaign API."""

import json
from urllib.parse import urlsplit

import pytest

from automations.models import Automation, Run
from automations.services import dispatch_due_runs
from contacts import services as contacts
from engage import crypto
from engage.events import record_event
from integrations.activecampaign.models import ActiveCampaignConnection
from tests.conftest import free_port
from tests.factories import ContactFactory
from tests.integrations.helpers import FakeActiveCampaign, automation_for, fake_activecampaign
from tests.payloads import fixture


@pytest.fixture
def ac_server(settings):
    with fake_activecampaign(settings) as url:
        yield url


def connect(org, url: str) -> ActiveCampaignConnection:
    return ActiveCampaignConnection.objects.create(
        organization=org, api_url=url, api_key_encrypted=crypto.encrypt("ac-key-123")
    )


@pytest.fixture
def jana(alice_org):
    contact = ContactFactory(
        organization=alice_org, email="jana.mueller@example.de", first_name="Jana", last_name="Müller",
        phone="+41441234567", external_ref="K-100234", language="de",
    )  # fmt: skip
    contacts.add_tag(contact=contact, name="oxas-sync")
    contacts.add_tag(contact=contact, name="oxas-kunde-premium")
    return contact


START = {
    "automation": "42",
    "apply_tags": True,
    "field_values": '{"1": "{{ contact.external_ref }}", "4": "{{ contact.language }}"}',
}


def start(org, contact, **params) -> Run:
    automation = automation_for(org, "start_external_automation", event_type="external_notification", **params)
    record_event(organization=org, type="external_notification", contact=contact, payload={"type": "order"})
    dispatch_due_runs()
    return Run.objects.get(automation=automation)


def test_the_contact_is_synced_tagged_and_started_in_the_activecampaign_automation(alice_org, jana, ac_server):
    connect(alice_org, ac_server)
    run = start(alice_org, jana, **START)
    assert run.status == "succeeded", run.error
    calls = [(r["method"], urlsplit(r["path"]).path, r["json"]) for r in FakeActiveCampaign.received]
    assert calls[0] == ("POST", "/api/3/contact/sync", json.loads(fixture("activecampaign_contact_sync_request.json")))
    [created] = [body for method, path, body in calls if (method, path) == ("POST", "/api/3/tags")]
    recorded = json.loads(fixture("activecampaign_tag_create_request.json"))
    assert (created["tag"]["tag"], created["tag"]["tagType"]) == (recorded["tag"]["tag"], recorded["tag"]["tagType"])
    assert ("POST", "/api/3/contactTags", json.loads(fixture("activecampaign_contact_tag_request.json"))) in calls
    assert calls[-1] == (
        "POST", "/api/3/contactAutomations", json.loads(fixture("activecampaign_contact_automation_request.json"))
    )  # fmt: skip
    assert {r["token"] for r in FakeActiveCampaign.received} == {"ac-key-123"}
    assert run.output == {
        "activecampaign_contact": "1842",
        "tags": ["oxas-kunde-premium", "oxas-sync"],
        "automation": "42",
        "contact_automation": "77",
    }


def test_an_existing_activecampaign_tag_is_not_created_again(alice_org, jana, ac_server):
    connect(alice_org, ac_server)
    start(alice_org, jana, **START)
    created = [r["json"]["tag"]["tag"] for r in FakeActiveCampaign.received if r["path"] == "/api/3/tags"]
    assert created == ["oxas-kunde-premium"]


def test_without_tags_nothing_is_tagged(alice_org, jana, ac_server):
    connect(alice_org, ac_server)
    run = start(alice_org, jana, automation="42", apply_tags=False, field_values="")
    assert run.status == "succeeded"
    assert [urlsplit(r["path"]).path for r in FakeActiveCampaign.received] == [
        "/api/3/contact/sync", "/api/3/contactAutomations"
    ]  # fmt: skip


@pytest.mark.parametrize("status", [429, 500, 503])
def test_rate_limits_and_server_errors_are_retried(alice_org, jana, ac_server, status):
    connect(alice_org, ac_server)
    FakeActiveCampaign.fail["/api/3/contactAutomations"] = (status, {"message": "slow down"})
    run = start(alice_org, jana, **START)
    assert run.status == "scheduled"
    assert f"HTTP {status}" in run.error and "retrying" in run.error
    FakeActiveCampaign.fail.clear()
    run.due_at = run.created_at
    run.save()
    dispatch_due_runs()
    run.refresh_from_db()
    assert run.status == "succeeded"


@pytest.mark.parametrize(
    ("path", "answer", "message"),
    [
        ("/api/3/contactAutomations", (404, fixture("activecampaign_error_404.json")), "Not Found – Contact not found"),
        ("/api/3/contactTags", (422, fixture("activecampaign_error_422.json")), "Missing attribute"),
        ("/api/3/contact/sync", (403, {"message": "No Result found for Subscriber with id 0"}), "No Result found"),
    ],
)
def test_refusals_fail_the_run_with_activecampaigns_message(alice_org, jana, ac_server, path, answer, message):
    connect(alice_org, ac_server)
    FakeActiveCampaign.fail[path] = answer
    run = start(alice_org, jana, **START)
    assert run.status == "failed"
    assert message in run.error
    assert "ac-key-123" not in run.error


def test_an_unreachable_activecampaign_is_retried(alice_org, jana, settings):
    settings.ENGAGE_HTTP_ALLOW_PRIVATE = True
    connect(alice_org, f"http://127.0.0.1:{free_port()}")
    run = start(alice_org, jana, **START)
    assert run.status == "scheduled" and "Could not connect" in run.error


def test_a_slow_activecampaign_is_retried(alice_org, jana, ac_server, monkeypatch):
    connect(alice_org, ac_server)
    monkeypatch.setattr("integrations.activecampaign.client.TIMEOUT", 0.2)
    FakeActiveCampaign.delay = 1.0
    run = start(alice_org, jana, **START)
    assert run.status == "scheduled" and "did not answer" in run.error


def test_a_private_api_address_is_refused(alice_org, jana, settings):
    settings.ENGAGE_HTTP_ALLOW_PRIVATE = False
    connect(alice_org, "http://127.0.0.1:9")
    run = start(alice_org, jana, **START)
    assert run.status == "failed" and "not a public address" in run.error


def test_the_job_needs_an_activecampaign_connection(alice_org, jana, ac_server):
    automation = Automation(organization=alice_org, name="x", event_type="external_notification",
                            job_type="start_external_automation", job_params=START)  # fmt: skip
    with pytest.raises(Exception, match="ActiveCampaign connection first"):
        automation.full_clean()
    connection = connect(alice_org, ac_server)
    automation.full_clean()
    automation.save()
    connection.is_active = False
    connection.save()
    record_event(organization=alice_org, type="external_notification", contact=jana, payload={})
    dispatch_due_runs()
    run = Run.objects.get(automation=automation)
    assert run.status == "failed" and "no active ActiveCampaign connection" in run.error
    assert not FakeActiveCampaign.received


def test_charlies_connection_is_never_used_for_alice(alice_org, charlie_org, jana, ac_server):
    connect(charlie_org, ac_server)
    automation = Automation(organization=alice_org, name="x", event_type="external_notification",
                            job_type="start_external_automation", job_params=START)  # fmt: skip
    with pytest.raises(Exception, match="ActiveCampaign connection first"):
        automation.full_clean()


@pytest.mark.parametrize(
    ("change", "message"),
    [({"automation": "abc"}, "automation's number"), ({"field_values": '{"x": "1"}'}, "field IDs")],
)
def test_external_automation_parameters_are_checked(alice_org, ac_server, change, message):
    connect(alice_org, ac_server)
    automation = Automation(organization=alice_org, name="x", event_type="external_notification",
                            job_type="start_external_automation", job_params={**START, **change})  # fmt: skip
    with pytest.raises(Exception, match=message):
        automation.full_clean()


def test_an_activecampaign_webhook_starts_automations_end_to_end(client, alice_org, ac_server):
    connection = connect(alice_org, ac_server)
    automation = automation_for(alice_org, "start_external_automation", event_type="external_notification", **START)
    url = f"/inbound/activecampaign/{connection.webhook_token}/"
    client.post(url, fixture("activecampaign_webhook_subscribe.txt"), content_type="application/x-www-form-urlencoded")
    dispatch_due_runs()
    run = Run.objects.get(automation=automation)
    assert run.status == "succeeded", run.error
    assert run.contact.email == "jana.mueller@example.de"
