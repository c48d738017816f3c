"""Data nested far too deep is refused with the endpoint's usual error, never a
RecursionError: the API and the Standard Webhooks endpoint answer 400 JSON, Salesforce a
SOAP fault, ActiveCampaign 400 JSON; and nothing is stored."""

from __future__ import annotations

import pytest

from api.credentials import create_api_key
from api.models import Scope
from automations.models import Event
from contacts.models import Contact, Transaction
from engage.lib import nesting
from integrations.models import InboundNotification, SalesforceNotification
from tests.api.conftest import client_for
from tests.integrations.activecampaign.test_webhooks import activecampaign, post_form  # noqa: F401
from tests.integrations.salesforce.test_outbound_messages import connection, fault_of, post  # noqa: F401
from tests.integrations.webhooks.test_signed_webhooks import ORDER, endpoint, send  # noqa: F401
from tests.payloads import fixture


@pytest.fixture
def api(alice_org):
    return client_for(create_api_key(organization=alice_org, name="Shop", scope=Scope.WRITE)[1])


def nested(levels: int, leaf=1):
    value = leaf
    for _ in range(levels):
        value = {"a": value}
    return value


def deep_json(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


def test_depth_counts_objects_and_arrays_without_recursion():
    assert nesting.depth(1) == 0
    assert nesting.depth({}) == 1
    assert nesting.depth({"a": [1, {"b": 2}]}) == 3
    assert nesting.depth(nested(100_000)) == 100_000


def test_loads_refuses_json_deeper_than_the_limit():
    assert nesting.loads(deep_json(nesting.MAX_DEPTH)) == nested(nesting.MAX_DEPTH - 1, {"a": 1})
    with pytest.raises(nesting.TooDeep):
        nesting.loads(deep_json(nesting.MAX_DEPTH + 1))
    with pytest.raises(nesting.TooDeep):
        nesting.loads(deep_json(100_000))


@pytest.mark.parametrize("levels", [100_000, nesting.MAX_DEPTH])
def test_an_event_payload_nested_too_deep_is_400(api, alice_org, levels):
    contact = Contact.objects.create(organization=alice_org, email="jana@example.de")
    body = b'{"type":"custom","name":"x","contact":%d,"payload":' % contact.pk + deep_json(levels) + b"}"
    response = api.post("/api/v1/events", body, content_type="application/json")
    assert response.status_code == 400
    problem = response.json()
    assert problem["status"] == 400 and problem["type"] == "too_deep"
    assert str(nesting.MAX_DEPTH) in problem["detail"]
    assert not Event.objects.exists()


def test_a_payload_within_the_limit_is_recorded(api, alice_org):
    contact = Contact.objects.create(organization=alice_org, email="jana@example.de")
    payload = nested(nesting.MAX_DEPTH - 2)  # the body adds one level, the payload object is one
    body = {"type": "custom", "name": "x", "contact": contact.pk, "payload": payload}
    response = api.post("/api/v1/events", body, format="json")
    assert response.status_code == 201
    assert Event.objects.get().payload == payload


@pytest.mark.parametrize(
    ("path", "field"),
    [("/api/v1/contacts/{id}/transactions", "data"), ("/api/v1/contacts/{id}", "attributes")],
)
def test_transaction_data_and_attributes_nested_too_deep_are_400(api, alice_org, path, field):
    contact = Contact.objects.create(organization=alice_org, email="jana@example.de")
    body = b'{"%s":' % field.encode() + deep_json(nesting.MAX_DEPTH) + b"}"
    method = api.post if field == "data" else api.patch
    response = method(path.format(id=contact.pk), body, content_type="application/json")
    assert response.status_code == 400 and response.json()["type"] == "too_deep"
    assert not Transaction.objects.exists()
    contact.refresh_from_db()
    assert contact.attributes == {}


def test_a_signed_webhook_nested_too_deep_is_400_json(client, endpoint):  # noqa: F811
    response = send(client, endpoint, b'{"email":"jana@example.de","a":' + deep_json(100_000) + b"}")
    assert response.status_code == 400
    assert "nested" in response.json()["error"]
    assert not InboundNotification.objects.exists()
    response = send(client, endpoint, {**ORDER, "deep": nested(nesting.MAX_DEPTH)}, webhook_id="msg_2")
    assert response.status_code == 400
    assert not InboundNotification.objects.exists()


def test_a_signed_webhook_within_the_limit_is_stored(client, endpoint):  # noqa: F811
    response = send(client, endpoint, {**ORDER, "deep": nested(nesting.MAX_DEPTH - 2)})
    assert response.status_code == 200
    assert InboundNotification.objects.get().payload["deep"] == nested(nesting.MAX_DEPTH - 2)


def salesforce_with_nested_field(levels: int) -> bytes:
    deep = b"<sf:A>" * levels + b"x" + b"</sf:A>" * levels
    return fixture("salesforce_outbound_case.xml").replace(b"<sf:Origin>", deep + b"<sf:Origin>", 1)


@pytest.mark.parametrize("levels", [50_000, 9])
def test_a_salesforce_sobject_nested_too_deep_is_a_fault(client, connection, levels):  # noqa: F811
    response = post(client, connection, salesforce_with_nested_field(levels))
    assert "nested" in fault_of(response)
    assert not SalesforceNotification.objects.exists()


def test_a_salesforce_related_record_within_the_limit_is_accepted(client, connection):  # noqa: F811
    assert post(client, connection, salesforce_with_nested_field(7)).status_code == 200
    fields = SalesforceNotification.objects.get().event.payload["fields"]
    assert "A" in fields


@pytest.mark.parametrize("levels", [20_000, 9])
def test_an_activecampaign_key_with_too_many_brackets_is_400_json(client, activecampaign, levels):  # noqa: F811
    body = b"contact[email]=jana%40example.de&contact" + b"[a]" * levels + b"=x"
    response = post_form(client, activecampaign.webhook_token, body)
    assert response.status_code == 400
    assert "brackets" in response.json()["error"]
    assert not InboundNotification.objects.exists()


def test_an_activecampaign_key_within_the_limit_is_stored(client, activecampaign):  # noqa: F811
    body = b"contact[email]=jana%40example.de&contact" + b"[a]" * 8 + b"=x"
    assert post_form(client, activecampaign.webhook_token, body).status_code == 200
    assert InboundNotification.objects.get().payload["contact"]["a"]["a"]["a"]["a"]["a"]["a"]["a"]["a"] == "x"
