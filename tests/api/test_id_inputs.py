"""Ids the database cannot hold (larger than a 64-bit integer, or not whole numbers) are
input errors: 400 in a filter or body, 404 in a path, never a 500."""

from __future__ import annotations

import pytest

from contacts.models import Contact
from tests.factories import ContactFactory

HUGE = ["99999999999999999999", "1e20", "9223372036854775808", "-1", "0", "1.5", "abc"]
ID_FILTERS = [
    ("/api/v1/runs", "automation"),
    ("/api/v1/runs", "contact"),
    ("/api/v1/messages", "contact"),
    ("/api/v1/events", "contact"),
]


@pytest.mark.parametrize(("path", "name"), ID_FILTERS)
@pytest.mark.parametrize("value", HUGE)
def test_an_id_filter_out_of_range_is_400_naming_the_filter(alice_api, path, name, value):
    response = alice_api.get(path, {name: value})
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error" and name in body["errors"]


@pytest.mark.parametrize(("path", "name"), ID_FILTERS)
def test_the_largest_id_is_accepted_and_matches_nothing(alice_api, path, name):
    response = alice_api.get(path, {name: str(2**63 - 1)})
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_event_contact_filter_gives_no_hint_about_other_organizations(alice_api, charlie_org):
    other = ContactFactory(organization=charlie_org)
    response = alice_api.get("/api/v1/events", {"contact": other.pk})
    assert response.status_code == 200 and response.json()["results"] == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/contacts/{id}",
        "/api/v1/runs/{id}",
        "/api/v1/messages/{id}",
        "/api/v1/events/{id}",
        "/api/v1/automations/{id}",
        "/api/v1/suppressions/{id}",
        "/api/v1/tags/{id}",
        "/api/v1/groups/{id}",
        "/api/v1/attributes/{id}",
        "/api/v1/groups/{id}/memberships",
        "/api/v1/contacts/{id}/transactions",
    ],
)
@pytest.mark.parametrize("value", ["99999999999999999999", "9223372036854775808"])
def test_a_path_id_out_of_range_is_404_in_the_error_format(alice_api, path, value):
    response = alice_api.get(path.format(id=value))
    assert response.status_code == 404
    assert response.json()["type"] == "not_found"


@pytest.mark.parametrize("value", ["99999999999999999999", "9223372036854775808"])
def test_an_agentless_message_id_out_of_range_is_404_in_genesys_format(alice_api, value):
    response = alice_api.get(f"/api/v1/conversations/emails/6f1c1a52-6e0b-4d5e-9d43-1a0a2b8c8b11/messages/{value}")
    assert response.status_code == 404
    assert response.json()["code"] == "not.found"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/events", {"type": "custom", "name": "x", "contact": 99999999999999999999}),
        ("/api/v1/groups/{group}/memberships", {"contact": 99999999999999999999, "action": "add"}),
    ],
)
def test_a_body_id_out_of_range_is_400(alice_api, alice_org, path, body):
    group = alice_api.post("/api/v1/groups", {"name": "News"}, format="json").json()["id"]
    response = alice_api.post(path.format(group=group), body, format="json")
    assert response.status_code == 400
    assert "contact" in response.json()["errors"]
    assert Contact.objects.count() == 0
