"""Contact-planning types: an activity recorded for a contact (by the worker, by an
automation's job) syncs the contact if needed and starts the type's ActiveCampaign
automation (contactAutomations), once."""

import json

import pytest

from automations.models import Automation, Run
from automations.services import dispatch_due_runs
from contacts import services as contacts
from engage.events import record_event
from integrations.activecampaign import services
from integrations.activecampaign.models import Activity, ContactSync, PlanningType, RateBucket
from tests.factories import ContactFactory
from tests.integrations.activecampaign.conftest import connect, push_due
from tests.integrations.helpers import automation_for
from tests.payloads import fixture


@pytest.fixture
def jana(alice_org):
    contact = ContactFactory(
        organization=alice_org, email="jana.mueller@example.de", first_name="Jana", last_name="Müller",
        phone="+41441234567", external_ref="K-100234", language="de",
    )  # fmt: skip
    contacts.add_tag(contact=contact, name="oxas-sync")
    return contact


@pytest.fixture
def consultation(alice_org):
    return PlanningType.objects.create(organization=alice_org, name="Beratung", automation="42")


def job_for(org, planning_type) -> Automation:
    return Automation(
        organization=org, name="x", event_type="external_notification", job_type="start_external_automation",
        job_params={"planning_type": planning_type.pk},
    )  # fmt: skip


def start(org, contact, planning_type) -> Run:
    automation = automation_for(
        org, "start_external_automation", event_type="external_notification", planning_type=planning_type.pk
    )
    record_event(organization=org, type="external_notification", contact=contact, payload={"type": "order"})
    dispatch_due_runs()
    return Run.objects.get(automation=automation)


def test_an_activity_syncs_the_contact_first_and_starts_the_automation(alice_org, jana, consultation, ac):
    connect(alice_org, ac.url)  # no pool sync: the activity syncs the contact itself
    activity = services.record_activity(contact=jana, planning_type=consultation, source="test")
    push_due(alice_org.activecampaign)
    assert ac.state.calls()[0] == ("POST", "/api/3/contact/sync")
    assert ac.state.calls()[-1] == ("POST", "/api/3/contactAutomations")
    assert ac.state.bodies("POST", "/api/3/contactAutomations") == [
        json.loads(fixture("activecampaign_contact_automation_request.json"))
    ]
    activity.refresh_from_db()
    assert activity.status == "synced" and activity.remote_id and activity.synced_at
    assert ac.state.contact_automations[activity.remote_id] == ("1842", "42")


def test_a_synced_contact_is_not_synced_again_for_an_activity(connection, jana, consultation, ac):
    push_due(connection)
    syncs = len(ac.state.bodies("POST", "/api/3/contact/sync"))
    services.record_activity(contact=jana, planning_type=consultation, source="test")
    push_due(connection)
    assert len(ac.state.bodies("POST", "/api/3/contact/sync")) == syncs
    assert len(ac.state.contact_automations) == 1


def test_a_failed_activity_is_retried_and_started_once(connection, jana, consultation, ac):
    ac.state.fail["/api/3/contactAutomations"] = (503, {"message": "busy"})
    activity = services.record_activity(contact=jana, planning_type=consultation, source="test")
    push_due(connection)
    activity.refresh_from_db()
    assert activity.status == "failed" and "HTTP 503" in activity.error and activity.due_at
    ac.state.fail.clear()
    push_due(connection, later=600)
    push_due(connection, later=1200)
    activity.refresh_from_db()
    assert activity.status == "synced"
    assert len(ac.state.contact_automations) == 1


def test_the_job_starts_the_automation_of_a_planning_type(alice_org, jana, consultation, ac):
    connect(alice_org, ac.url)
    run = start(alice_org, jana, consultation)
    assert run.status == "succeeded", run.error
    assert run.output == {
        "activecampaign_contact": "1842",
        "planning_type": "Beratung",
        "automation": "42",
        "contact_automation": Activity.objects.get().remote_id,
    }
    assert ContactSync.objects.get(contact=jana).status == "synced"
    assert ac.state.tags_of(jana.email) == {"oxas-sync"}


@pytest.mark.parametrize("status", [429, 500, 503])
def test_rate_limits_and_server_errors_retry_the_run(alice_org, jana, consultation, ac, status):
    connect(alice_org, ac.url)
    ac.state.fail["/api/3/contactAutomations"] = (status, {"message": "slow down"})
    run = start(alice_org, jana, consultation)
    assert run.status == "scheduled"
    assert f"HTTP {status}" in run.error
    ac.state.fail.clear()
    run.due_at = run.created_at  # the run's backoff and the account's pause have passed
    run.save()
    RateBucket.objects.update(blocked_until=None)
    dispatch_due_runs()
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert len(ac.state.contact_automations) == 1


def test_a_refusal_fails_the_run_with_activecampaigns_message(alice_org, jana, consultation, ac):
    connect(alice_org, ac.url)
    ac.state.fail["/api/3/contactAutomations"] = (404, json.loads(fixture("activecampaign_error_404.json")))
    run = start(alice_org, jana, consultation)
    assert run.status == "failed"
    assert "Not Found – Contact not found" in run.error and "ac-key-123" not in run.error


def test_the_job_needs_an_activecampaign_connection(alice_org, consultation, ac):
    automation = job_for(alice_org, consultation)
    with pytest.raises(Exception, match="ActiveCampaign connection first"):
        automation.full_clean()
    connect(alice_org, ac.url)
    automation.full_clean()


def test_charlies_planning_types_are_not_offered_to_alice(alice_org, charlie_org, ac):
    connect(alice_org, ac.url)
    charlies = PlanningType.objects.create(organization=charlie_org, name="Charlie's", automation="43")
    automation = job_for(alice_org, charlies)
    with pytest.raises(Exception, match="valid choice"):
        automation.full_clean()
    with pytest.raises(Exception, match="another organization"):
        services.record_activity(contact=ContactFactory(organization=alice_org), planning_type=charlies, source="x")
