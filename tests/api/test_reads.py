"""Automations, runs and outbound messages: read only, filtered, one organization's own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from automations.models import Run
from contacts.models import Suppression
from engage.events import record_event
from notifications.models import OutboundMessage
from tests.factories import AutomationFactory, ContactFactory


@pytest.fixture
def alice_run(alice_org):
    automation = AutomationFactory(organization=alice_org, name="Welcome", job_type="add_tag", job_params={"tag": "x"})
    contact = ContactFactory(organization=alice_org)
    record_event(organization=alice_org, type="contact_created", contact=contact)
    return Run.objects.get(automation=automation)


def test_automations_are_listed_for_their_organization_only(alice_api, charlie_api, alice_run):
    names = [a["name"] for a in alice_api.get("/api/v1/automations").json()["results"]]
    assert "Welcome" in names
    assert "Welcome" not in [a["name"] for a in charlie_api.get("/api/v1/automations").json()["results"]]
    assert charlie_api.get(f"/api/v1/automations/{alice_run.automation_id}").status_code == 404


def test_automations_cannot_be_written(alice_api, alice_run):
    assert alice_api.delete(f"/api/v1/automations/{alice_run.automation_id}").status_code == 405
    assert alice_api.post("/api/v1/automations", {}, format="json").status_code == 405


def test_runs_filter_by_status_automation_and_date(alice_api, alice_run):
    Run.objects.filter(pk=alice_run.pk).update(status=Run.Status.FAILED)

    def ids(query):
        return [r["id"] for r in alice_api.get(f"/api/v1/runs?{query}").json()["results"]]

    assert ids("status=failed") == [alice_run.pk]
    assert ids("status=succeeded") == []
    assert ids(f"automation={alice_run.automation_id}") == [alice_run.pk]
    assert ids(f"automation={alice_run.automation_id + 999}") == []
    tomorrow = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(f"created_before={tomorrow}") == [alice_run.pk]
    assert ids(f"created_after={tomorrow}") == []
    assert alice_api.get("/api/v1/runs?created_after=soon").status_code == 400


def test_charlie_gets_404_for_alices_run(charlie_api, alice_run):
    assert charlie_api.get(f"/api/v1/runs/{alice_run.pk}").status_code == 404
    assert charlie_api.get("/api/v1/runs").json()["count"] == 0


def test_messages_show_their_status(alice_api, charlie_api, alice_org):
    message = OutboundMessage.objects.create(
        organization=alice_org, recipient="jana@example.com", subject="Hi", from_email="a@example.com",
        status=OutboundMessage.Status.SENT,
    )  # fmt: skip
    listed = alice_api.get("/api/v1/messages?status=sent").json()["results"]
    assert [(m["id"], m["status"]) for m in listed] == [(message.pk, "sent")]
    assert alice_api.get("/api/v1/messages?status=queued").json()["count"] == 0
    assert charlie_api.get(f"/api/v1/messages/{message.pk}").status_code == 404


def test_messages_show_their_conversation_and_tracking(alice_api, alice_org):
    from notifications.conversations import conversation_for
    from notifications.models import TrackingEvent

    conversation = conversation_for(organization=alice_org, conversation_id=None, subject="Order")
    message = OutboundMessage.objects.create(
        organization=alice_org, recipient="jana@example.com", subject="Order", from_email="a@example.com",
        status=OutboundMessage.Status.OPENED, conversation=conversation,
    )  # fmt: skip
    TrackingEvent.objects.create(
        organization=alice_org, message=message, esp="postmark", event_id="e1", event_type="opened",
        occurred_at=timezone.now(),
    )  # fmt: skip
    shown = alice_api.get(f"/api/v1/messages/{message.pk}").json()
    assert shown["status"] == "opened"
    assert shown["conversation_id"] == str(conversation.uuid)
    assert [(t["event_type"], t["esp"]) for t in shown["tracking"]] == [("opened", "postmark")]


# --- Suppression list ---------------------------------------------------------------------
def test_suppress_an_address_and_lift_it(alice_api, alice_org):
    from contacts.models import Suppression
    from contacts.suppression import is_suppressed

    response = alice_api.post("/api/v1/suppressions", {"address": "Jana@Example.com", "note": "asked"}, format="json")
    assert response.status_code == 201
    assert response.json()["address"] == "jana@example.com"
    assert response.json()["reason"] == "manual"
    assert is_suppressed(alice_org, "jana@example.com")
    again = alice_api.post("/api/v1/suppressions", {"address": "jana@example.com"}, format="json")
    assert again.status_code == 400 and "address" in again.json()["errors"]
    assert alice_api.get("/api/v1/suppressions?reason=manual").json()["count"] == 1
    assert alice_api.delete(f"/api/v1/suppressions/{response.json()['id']}").status_code == 204
    assert not Suppression.objects.exists()


def test_bad_suppressions_are_400(alice_api):
    assert alice_api.post("/api/v1/suppressions", {"address": "nope"}, format="json").status_code == 400
    response = alice_api.post("/api/v1/suppressions", {"address": "a@example.com", "reason": "x"}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["errors"]


def test_charlie_cannot_see_or_lift_alices_suppressions(alice_api, charlie_api, alice_org):
    from contacts.suppression import is_suppressed

    entry = alice_api.post("/api/v1/suppressions", {"address": "jana@example.com"}, format="json").json()
    assert charlie_api.get(f"/api/v1/suppressions/{entry['id']}").status_code == 404
    assert charlie_api.delete(f"/api/v1/suppressions/{entry['id']}").status_code == 404
    assert charlie_api.get("/api/v1/suppressions").json()["count"] == 0
    assert is_suppressed(alice_org, "jana@example.com")


def test_a_read_key_cannot_change_the_suppression_list(bob_api):
    assert bob_api.get("/api/v1/suppressions").status_code == 200
    assert bob_api.post("/api/v1/suppressions", {"address": "a@example.com"}, format="json").status_code == 403


@pytest.mark.parametrize("reason", ["manual", "hard_bounce", "complaint"])
def test_a_suppression_can_be_posted_with_a_reason(alice_api, alice_org, reason):
    response = alice_api.post("/api/v1/suppressions", {"address": "jana@example.com", "reason": reason}, format="json")
    assert response.status_code == 201
    assert response.json()["reason"] == reason
    assert Suppression.objects.get(organization=alice_org).reason == reason


def test_a_suppression_without_a_reason_is_manual(alice_api):
    response = alice_api.post("/api/v1/suppressions", {"address": "jana@example.com"}, format="json")
    assert response.status_code == 201 and response.json()["reason"] == "manual"


def test_unsubscribe_is_no_reason_to_post(alice_api):
    body = {"address": "jana@example.com", "reason": "unsubscribe"}
    response = alice_api.post("/api/v1/suppressions", body, format="json")
    assert response.status_code == 400
    assert "memberships" in response.json()["errors"]["reason"][0]
    assert not Suppression.objects.exists()
