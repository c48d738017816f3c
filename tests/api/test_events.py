"""Events ingested through the API start the automations that listen to them."""

from __future__ import annotations

import pytest

from api.serializers import EventInSerializer, plain_event
from automations.models import Event, Run
from tests.factories import AutomationFactory, ContactFactory


@pytest.fixture
def jana(alice_org):
    return ContactFactory(organization=alice_org, email="jana@example.com")


@pytest.fixture
def on_order_shipped(alice_org):
    return AutomationFactory(
        organization=alice_org, event_type="custom", event_name="order_shipped", job_type="add_tag",
        job_params={"tag": "shipped"},
    )  # fmt: skip


def test_a_custom_event_by_email_is_recorded_and_schedules_its_automation(alice_api, jana, on_order_shipped):
    body = {"type": "custom", "name": "order_shipped", "email": "JANA@example.com", "payload": {"order": "4711"}}
    response = alice_api.post("/api/v1/events", body, format="json")
    assert response.status_code == 201
    event = Event.objects.get(pk=response.json()["id"])
    assert (event.contact, event.name, event.payload, event.source) == (jana, "order_shipped", {"order": "4711"}, "api")
    assert Run.objects.filter(event=event, automation=on_order_shipped).exists()


def test_an_event_by_contact_id_with_occurred_at(alice_api, jana):
    body = {"type": "message_opened", "contact": jana.pk, "occurred_at": "2026-11-01T08:00:00Z"}
    response = alice_api.post("/api/v1/events", body, format="json")
    assert response.status_code == 201
    assert Event.objects.get(pk=response.json()["id"]).occurred_at.isoformat() == "2026-11-01T08:00:00+00:00"


def test_the_same_external_id_is_recorded_once(alice_api, jana, on_order_shipped):
    body = {"type": "custom", "name": "order_shipped", "contact": jana.pk, "external_id": "shop-1"}
    first = alice_api.post("/api/v1/events", body, format="json")
    second = alice_api.post("/api/v1/events", body, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == {"id": first.json()["id"], "created": False}
    assert Run.objects.filter(automation=on_order_shipped).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "custom", "contact": 1}, "name"),
        ({"type": "system_user_created", "contact": 1}, "type"),
        ({"type": "automation_finished", "contact": 1}, "type"),
        ({"type": "nonsense", "contact": 1}, "type"),
        ({"type": "subscribed"}, "contact"),
        ({"type": "subscribed", "contact": 1, "email": "a@example.com"}, "contact"),
        ({"type": "subscribed", "contact": "one"}, "contact"),
        ({"type": "subscribed", "contact": 1, "payload": [1]}, "payload"),
        ({"type": "subscribed", "contact": 1, "occurred_at": "yesterday"}, "occurred_at"),
        ({"type": "subscribed", "contact": 1, "extra": 1}, "extra"),
    ],
)
def test_bad_events_are_400_naming_the_field(alice_api, body, field):
    response = alice_api.post("/api/v1/events", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Event.objects.exists()


def test_an_event_for_another_organizations_contact_is_404(charlie_api, jana):
    response = charlie_api.post("/api/v1/events", {"type": "subscribed", "contact": jana.pk}, format="json")
    assert response.status_code == 404
    response = charlie_api.post("/api/v1/events", {"type": "subscribed", "email": jana.email}, format="json")
    assert response.status_code == 404
    assert not Event.objects.exists()


def test_charlie_sees_none_of_alices_events(alice_api, charlie_api, jana):
    event_id = alice_api.post("/api/v1/events", {"type": "subscribed", "contact": jana.pk}, format="json").json()["id"]
    assert charlie_api.get(f"/api/v1/events/{event_id}").status_code == 404
    assert charlie_api.get("/api/v1/events").json()["count"] == 0
    assert alice_api.get(f"/api/v1/events/{event_id}").json()["type"] == "subscribed"


# --- Bulk ---------------------------------------------------------------------------------
def test_bulk_records_1000_events_and_their_runs(alice_api, alice_org, on_order_shipped):
    contacts = [ContactFactory(organization=alice_org, email=f"c{i}@example.com") for i in range(10)]
    events = [
        {"type": "custom", "name": "order_shipped", "contact": contacts[i % 10].pk, "external_id": f"e{i}"}
        for i in range(1000)
    ]
    response = alice_api.post("/api/v1/events/bulk", {"events": events}, format="json")
    assert response.status_code == 200
    assert (response.json()["created"], response.json()["duplicates"]) == (1000, 0)
    assert Event.objects.filter(organization=alice_org, source="api").count() == 1000
    assert Run.objects.filter(automation=on_order_shipped).count() == 1000
    again = alice_api.post("/api/v1/events/bulk", {"events": events[:5]}, format="json").json()
    assert (again["created"], again["duplicates"]) == (0, 5)


def test_bulk_of_1001_events_is_400(alice_api, jana):
    events = [{"type": "subscribed", "contact": jana.pk}] * 1001
    response = alice_api.post("/api/v1/events/bulk", {"events": events}, format="json")
    assert response.status_code == 400
    assert "events" in response.json()["errors"]
    assert not Event.objects.exists()


def test_bulk_names_bad_events_and_records_none(alice_api, jana):
    events = [{"type": "subscribed", "contact": jana.pk}, {"type": "subscribed", "contact": jana.pk, "typo": 1}]
    response = alice_api.post("/api/v1/events/bulk", {"events": events}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"events.1.typo": ["Unknown field."]}
    assert not Event.objects.exists()


def test_bulk_with_another_organizations_contact_is_404_and_records_none(charlie_api, charlie_org, jana):
    mine = ContactFactory(organization=charlie_org, email="c@example.com")
    events = [{"type": "subscribed", "contact": mine.pk}, {"type": "subscribed", "contact": jana.pk}]
    response = charlie_api.post("/api/v1/events/bulk", {"events": events}, format="json")
    assert response.status_code == 404
    assert response.json()["errors"] == {"events.1.contact": ["No such contact."]}
    assert not Event.objects.exists()


def test_bulk_unknown_fields_at_the_top_are_400(alice_api):
    response = alice_api.post("/api/v1/events/bulk", {"events": [], "evnets": []}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"evnets": ["Unknown field."]}


PLAIN = [
    {"type": "subscribed", "contact": 7},
    {"type": "custom", "name": "order_shipped", "contact": 7, "payload": {"n": 1, "items": [1, 2]}},
    {"type": "custom", "name": "paid", "contact": 7, "external_id": "shop-4711", "payload": {}},
]
NOT_PLAIN = [
    {"type": "custom", "name": " padded ", "contact": 7},  # trimmed by the serializer
    {"type": "custom", "name": "naïve", "contact": 7},  # checked by the serializer (not ASCII)
    {"type": "subscribed", "contact": True},
    {"type": "subscribed", "contact": "7"},
    {"type": "subscribed", "contact": 0},
    {"type": "subscribed", "email": "jana@example.com"},
    {"type": "subscribed", "contact": 7, "external_id": ""},
    {"type": "subscribed", "contact": 7, "external_id": "a\x00b"},
    {"type": "subscribed", "contact": 7, "occurred_at": "2026-11-27T09:20:11Z"},
    {"type": "subscribed", "contact": 7, "name": "x"},
    {"type": "custom", "contact": 7},
    {"type": "automation_finished", "contact": 7},
    {"type": "subscribed", "contact": 7, "payload": []},
    {"type": "subscribed", "contact": 7, "typo": 1},
    ["subscribed", 7],
]


@pytest.mark.parametrize("item", PLAIN)
def test_a_plainly_valid_event_is_read_as_the_serializer_reads_it(item):
    serializer = EventInSerializer(data=item)
    assert serializer.is_valid(), serializer.errors
    assert plain_event(item) == dict(serializer.validated_data)


@pytest.mark.parametrize("item", NOT_PLAIN)
def test_any_other_event_is_left_to_the_serializer(item):
    assert plain_event(item) is None


def test_bulk_words_the_errors_of_events_that_are_not_plain(alice_api, jana):
    events = [
        {"type": "subscribed", "contact": jana.pk},
        {"type": "subscribed", "contact": True},
        {"type": "custom", "contact": jana.pk},
    ]
    response = alice_api.post("/api/v1/events/bulk", {"events": events}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"events.1.contact", "events.2.name"}
    assert not Event.objects.exists()
