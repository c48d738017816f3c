"""The agentless endpoints answer errors as Genesys Cloud does (its envelope and codes), and
sending needs the agentless e-mail permission; the rest of the API keeps its own format."""

from __future__ import annotations

import base64
import importlib
import json
import time
import uuid
from pathlib import Path

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.credentials import create_api_key, create_oauth_client
from api.models import ApiKey, OAuthClient, RateCount, Scope
from notifications.models import OutboundMessage, SenderDomain
from tests.api.conftest import client_for

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
URL = "/api/v1/conversations/emails/agentless"
GENESYS_KEYS = set(json.loads((FIXTURES / "genesys_error_400.json").read_text()))


@pytest.fixture
def body(alice_org) -> dict:
    SenderDomain.objects.create(organization=alice_org, domain="notify.example.de", verified_at=timezone.now())
    return json.loads((FIXTURES / "genesys_agentless_request.json").read_text())


def assert_genesys(response, status: int, code: str) -> dict:
    answer = response.json()
    assert response.status_code == status, answer
    assert set(answer) >= GENESYS_KEYS, answer
    assert (answer["status"], answer["code"]) == (status, code)
    assert answer["message"]
    uuid.UUID(answer["contextId"])
    assert response["inin-correlation-id"] == answer["contextId"]
    return answer


def test_the_keys_of_genesys_error_envelope_are_the_fixtures():
    assert {"message", "code", "status", "messageParams", "contextId", "details", "errors"} == GENESYS_KEYS


def test_malformed_json_is_genesys_bad_request(alice_api):
    response = alice_api.post(URL, "{not json", content_type="application/json")
    answer = assert_genesys(response, 400, "bad.request")
    assert answer["details"] == [] and answer["errors"] == []


def test_invalid_fields_are_listed_per_field(alice_api, body):
    response = alice_api.post(URL, {**body, "subject": "s" * 401, "toAddresses": []}, format="json")
    answer = assert_genesys(response, 400, "bad.request")
    assert {detail["fieldName"] for detail in answer["details"]} == {"subject", "toAddresses"}
    assert {detail["errorCode"] for detail in answer["details"]} == {"invalid.value"}
    subject = next(error for error in answer["errors"] if error["messageParams"] == {"fieldName": "subject"})
    assert subject["code"] == "invalid.value" and subject["status"] == 400
    assert "400" in subject["message"]
    assert not OutboundMessage.objects.exists()


def test_an_unknown_message_is_genesys_not_found(alice_api):
    response = alice_api.get(f"/api/v1/conversations/emails/{uuid.uuid4()}/messages/1")
    assert_genesys(response, 404, "not.found")


def test_charlies_view_of_alices_mail_is_genesys_not_found(alice_api, charlie_api, body):
    self_uri = alice_api.post(URL, body, format="json").json()["selfUri"]
    assert_genesys(charlie_api.get(self_uri), 404, "not.found")


@override_settings(ENGAGE_API_MAX_BODY_BYTES=1000)
def test_a_body_over_the_size_limit_is_genesys_request_entity_too_large(alice_api, body):
    response = alice_api.post(URL, {**body, "textBody": "t" * 2000}, format="json")
    assert_genesys(response, 413, "request.entity.too.large")


def test_over_the_mails_per_minute_is_genesys_too_many_requests(alice_api, alice_org, body, counted_in_database):
    with time_machine.travel("2026-11-27 10:00:48Z", tick=False):
        window = int(time.time() // 60)
        RateCount.objects.create(key=f"api-agentless:{alice_org.pk}", window=window, count=600)
        response = alice_api.post(URL, body, format="json")
    answer = assert_genesys(response, 429, "too.many.requests")
    assert response["Retry-After"] == "12"
    assert answer["messageParams"] == {"retryAfter": "12"}
    assert answer["message"] == "Rate limit exceeded the maximum. Retry the request in [12] seconds"
    assert answer["messageWithParams"] == "Rate limit exceeded the maximum. Retry the request in [{retryAfter}] seconds"


def test_no_credential_is_genesys_authentication_required(body):
    response = APIClient().post(URL, body, format="json")
    assert_genesys(response, 401, "authentication.required")


def test_an_unknown_credential_is_genesys_bad_credentials(body):
    response = client_for("eng_000000000000_nonsense").post(URL, body, format="json")
    assert_genesys(response, 401, "bad.credentials")


def test_the_rest_of_the_api_keeps_its_problem_documents(alice_api):
    answer = alice_api.get("/api/v1/contacts/999999").json()
    assert set(answer) >= {"type", "title", "status", "detail"}
    assert "code" not in answer and "contextId" not in answer


# The permission to send agentless e-mail


@pytest.mark.parametrize("scope", [Scope.READ, Scope.WRITE])
def test_a_key_without_the_agentless_permission_gets_genesys_403(alice_org, body, scope):
    api = client_for(create_api_key(organization=alice_org, name="Shop", scope=scope)[1])
    answer = assert_genesys(api.post(URL, body, format="json"), 403, "missing.permissions")
    assert "conversation:agentlessEmail:send" in answer["message"]
    assert not OutboundMessage.objects.exists()


@pytest.mark.parametrize("scope", [Scope.READ, Scope.WRITE])
def test_a_key_with_the_agentless_permission_sends(alice_org, body, scope):
    api = client_for(create_api_key(organization=alice_org, name="Shop", scope=scope, agentless_email=True)[1])
    assert api.post(URL, body, format="json").status_code == 202


def test_the_agentless_permission_does_not_let_a_read_key_write(alice_org):
    api = client_for(create_api_key(organization=alice_org, name="Shop", agentless_email=True)[1])
    assert api.post("/api/v1/contacts", {"email": "x@example.de"}, format="json").status_code == 403


def test_an_oauth_token_carries_its_clients_agentless_permission(alice_org, body):
    answers = []
    for allowed in (False, True):
        client, secret = create_oauth_client(
            organization=alice_org, name="Genesys", scope=Scope.WRITE, agentless_email=allowed
        )
        basic = base64.b64encode(f"{client.client_id}:{secret}".encode()).decode()
        token = APIClient().post(
            "/oauth/token", "grant_type=client_credentials", content_type="application/x-www-form-urlencoded",
            HTTP_AUTHORIZATION=f"Basic {basic}",
        ).json()["access_token"]  # fmt: skip
        answers.append(client_for(token).post(URL, body, format="json").status_code)
    assert answers == [403, 202]


def test_the_command_grants_the_agentless_permission_only_when_asked(alice_org, capsys):
    call_command("create_api_key", alice_org.slug, "--scope", "write", "--name", "Plain")
    call_command("create_api_key", alice_org.slug, "--scope", "write", "--name", "Genesys", "--agentless-email")
    assert dict(ApiKey.objects.values_list("name", "agentless_email")) == {"Plain": False, "Genesys": True}


def test_existing_write_credentials_keep_sending_after_the_upgrade(alice_org):
    read_key, _ = create_api_key(organization=alice_org, name="Reporting", scope=Scope.READ)
    write_key, _ = create_api_key(organization=alice_org, name="Shop", scope=Scope.WRITE)
    write_client, _ = create_oauth_client(organization=alice_org, name="Genesys", scope=Scope.WRITE)
    migration = importlib.import_module("api.migrations.0005_grant_agentless_email_to_write_credentials")

    migration.grant(apps, None)

    assert ApiKey.objects.get(pk=read_key.pk).agentless_email is False
    assert ApiKey.objects.get(pk=write_key.pk).agentless_email is True
    assert OAuthClient.objects.get(pk=write_client.pk).agentless_email is True


def test_another_address_under_the_agentless_endpoints_is_genesys_not_found(alice_api):
    assert_genesys(alice_api.get(f"/api/v1/conversations/emails/{uuid.uuid4()}/messages/latest"), 404, "not.found")


def test_the_admin_grants_the_agentless_permission_when_ticked(client, alice, alice_org):
    client.force_login(alice)
    client.post(reverse("admin:api_apikey_add"), {"name": "Plain", "scope": "write"})
    client.post(reverse("admin:api_apikey_add"), {"name": "Genesys", "scope": "read", "agentless_email": "on"})
    assert dict(ApiKey.objects.values_list("name", "agentless_email")) == {"Plain": False, "Genesys": True}
