"""The OpenAPI schema, the documentation page, and a property-based run over the whole
schema: no request, however odd, may cause a server error or answer off-schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from contacts.models import AttributeDefinition, Group, Tag
from tests.factories import ContactFactory


def test_the_schema_is_served_without_a_credential(db):
    response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/contacts/bulk" in schema["paths"]
    post = schema["paths"]["/api/v1/events"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])
    assert {"400", "401", "403", "409", "422", "429"} <= set(post["responses"])
    assert "Problem" in schema["components"]["schemas"]


def test_the_docs_page_loads_swagger_ui_from_our_own_static_files(db):
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()


def _load_schema():
    from engage.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture
def keep_connection():
    """Like Django's test client, keep the test's database connection (which holds the
    test's transaction) open across the requests made through the WSGI application."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def some_data(alice_org):
    """A few objects, so that generated ids sometimes hit one."""
    for index in range(3):
        contact = ContactFactory(organization=alice_org, email=f"c{index}@example.com")
        group = Group.objects.create(organization=alice_org, name=f"Group {index}")
        Tag.objects.create(organization=alice_org, name=f"tag{index}")
        AttributeDefinition.objects.create(organization=alice_org, key=f"attr{index}", label="A")
        contact.tags.add(Tag.objects.get(organization=alice_org, name=f"tag{index}"))
        del group


schema = _load_schema()


@schema.parametrize()
@hypothesis_settings(
    max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None
)
def test_no_request_causes_a_server_error_or_an_off_schema_answer(
    case, keep_connection, alice_key, some_data, settings
):
    settings.ENGAGE_API_REQUESTS_PER_MINUTE = 10**9
    case.call_and_validate(
        headers={"Authorization": f"Bearer {alice_key[1]}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_headers_conformance,
            response_schema_conformance,
        ],
    )


@pytest.mark.parametrize("component", ["AgentlessEmailRequest", "AgentlessEmailResponse"])
def test_agentless_fields_have_readable_titles_and_descriptions(db, component):
    """Genesys' camelCase names would otherwise become titles like “Fromaddress”."""
    schema = APIClient().get("/api/schema/?format=json").json()
    properties = schema["components"]["schemas"][component]["properties"]
    assert properties["fromAddress"]["title"] == "From address"
    assert properties["toAddresses"]["title"] == "To addresses"
    assert properties["senderType"]["title"] == "Sender type"
    for name, field in properties.items():
        assert field.get("description"), name
        text = f"{field.get('title', '')} {field['description']}"
        assert not any(word in text for word in ("Fromaddress", "Toaddresses", "Sendertype", "Replytoaddress")), name
