"""The selection builder's live count: how many contacts a definition matches while it is
edited, before it is saved, counted in the member's own organization only."""

import json

import pytest

from contacts.models import AttributeDefinition, Selection
from tests.factories import ContactFactory

COUNT = "/admin/contacts/selection/count/"


def ask(client, url: str, body) -> tuple[int, dict]:
    response = client.post(url, json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


@pytest.fixture
def contacts(alice_org, charlie_org):
    AttributeDefinition.objects.create(organization=alice_org, key="score", label="Score", type="number")
    ContactFactory(organization=alice_org, email="a@example.com", language="de", attributes={"score": 50})
    ContactFactory(organization=alice_org, email="b@example.com", language="de", attributes={"score": 5})
    ContactFactory(organization=alice_org, email="c@example.com", language="en")
    ContactFactory(organization=charlie_org, email="d@example.com", language="de")


def test_it_counts_an_unsaved_definition_in_the_members_organization(client, bob, contacts):
    client.force_login(bob)
    german = {"match": "all", "conditions": [{"field": "language", "op": "eq", "value": "de"}]}
    assert ask(client, COUNT, {"definition": german}) == (200, {"count": 2})
    high = {"match": "all", "conditions": [{"attribute": "score", "op": "gte", "value": 10}]}
    assert ask(client, COUNT, {"definition": high}) == (200, {"count": 1})
    assert ask(client, COUNT, {"definition": {"match": "all", "conditions": []}}) == (200, {"count": 3})


def test_a_member_cannot_count_another_organizations_contacts(client, charlie, contacts, alice_org):
    client.force_login(charlie)
    everybody = {"definition": {"match": "all", "conditions": []}, "organization": alice_org.pk}
    assert ask(client, COUNT, everybody) == (200, {"count": 1})  # Charlie's one contact, whatever he names


def test_another_organizations_selection_is_a_404(client, charlie, alice_org, contacts):
    selection = Selection.objects.create(organization=alice_org, name="All", definition={"conditions": []})
    client.force_login(charlie)
    response = client.post(
        f"/admin/contacts/selection/{selection.pk}/count/", '{"definition": {}}', content_type="application/json"
    )
    assert response.status_code == 404


def test_an_existing_selection_counts_in_its_organization(client, host_admin, alice_org, contacts):
    selection = Selection.objects.create(organization=alice_org, name="All", definition={"conditions": []})
    client.force_login(host_admin)
    assert ask(client, f"/admin/contacts/selection/{selection.pk}/count/", {"definition": {}}) == (200, {"count": 3})


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ({"conditions": [{"attribute": "score", "op": "gte", "value": "lots"}]}, "Condition 1: Enter a number."),
        ({"conditions": [{"field": "password", "op": "eq", "value": "x"}]}, "Condition 1: unknown field “password”"),
        ({"conditions": [{"tag": "nobody"}]}, "Condition 1: unknown tag “nobody”."),
        ({"match": "some"}, "“match” must be “all” or “any”."),
        ("everybody", "The selection must be an object"),
    ],
)
def test_a_broken_definition_is_a_400_with_the_message(client, bob, contacts, definition, message):
    client.force_login(bob)
    status, body = ask(client, COUNT, {"definition": definition})
    assert status == 400
    assert message in " ".join(body["errors"])


def test_a_body_that_is_no_json_is_a_400(client, bob):
    client.force_login(bob)
    response = client.post(COUNT, "definition=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "as JSON" in response.json()["errors"][0]


def test_a_host_administrator_adding_a_selection_names_the_organization(client, host_admin, alice_org, contacts):
    client.force_login(host_admin)
    assert ask(client, COUNT, {"definition": {}}) == (400, {"errors": ["Choose the organization first."]})
    assert ask(client, COUNT, {"definition": {}, "organization": alice_org.pk}) == (200, {"count": 3})


def test_only_staff_may_count(client, contacts):
    response = client.post(COUNT, '{"definition": {}}', content_type="application/json")
    assert response.status_code == 302  # to the login page


def test_the_builder_knows_where_to_count(client, bob, alice_org):
    selection = Selection.objects.create(organization=alice_org, name="All", definition={"conditions": []})
    client.force_login(bob)
    assert f'data-count-url="{COUNT}"' in client.get("/admin/contacts/selection/add/").text
    page = client.get(f"/admin/contacts/selection/{selection.pk}/change/").text
    assert f'data-count-url="/admin/contacts/selection/{selection.pk}/count/"' in page
