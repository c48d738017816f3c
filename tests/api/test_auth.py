"""API keys and OAuth 2 client credentials: hashed at rest, scoped, revocable."""

from __future__ import annotations

import base64
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.credentials import create_api_key, create_oauth_client, digest, revoke_api_key
from api.models import AccessToken, ApiKey, OAuthClient, Scope
from tests.api.conftest import client_for


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


FORM = "application/x-www-form-urlencoded"


def get_token(client_id: str, secret: str, grant_type: str = "client_credentials"):
    return APIClient().post(
        "/oauth/token", f"grant_type={grant_type}", content_type=FORM, HTTP_AUTHORIZATION=basic(client_id, secret)
    )


def test_a_request_without_credential_is_401_with_a_bearer_challenge(db):
    response = APIClient().get("/api/v1/contacts")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["type"] == "not_authenticated"


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer eng_abc_def", "Token x", "Bearer "])
def test_unknown_or_malformed_credentials_are_401(db, header):
    response = APIClient().get("/api/v1/contacts", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401


def test_the_key_is_stored_only_as_prefix_and_hmac(alice_org):
    key, plain = create_api_key(organization=alice_org, name="Shop", scope=Scope.WRITE)
    stored = ApiKey.objects.get(pk=key.pk)
    assert plain.startswith(f"eng_{stored.prefix}_")
    assert stored.hashed_key == digest(plain)
    assert plain not in {getattr(stored, f.attname) for f in ApiKey._meta.fields}


def test_a_wrong_secret_with_a_valid_prefix_is_401(alice_key):
    _key, plain = alice_key
    assert client_for(plain[:-3] + "xyz").get("/api/v1/contacts").status_code == 401


def test_a_key_works_and_records_when_it_was_last_used(alice_key, alice_api):
    assert ApiKey.objects.get(pk=alice_key[0].pk).last_used_at is None
    assert alice_api.get("/api/v1/contacts").status_code == 200
    assert ApiKey.objects.get(pk=alice_key[0].pk).last_used_at is not None


def test_a_revoked_key_is_refused(alice_key, alice_api):
    revoke_api_key(alice_key[0])
    assert alice_api.get("/api/v1/contacts").status_code == 401


def test_a_read_key_may_read_but_not_write(bob_api):
    assert bob_api.get("/api/v1/contacts").status_code == 200
    response = bob_api.post("/api/v1/contacts", {"email": "x@example.com"}, format="json")
    assert response.status_code == 403
    assert response.json()["type"] == "permission_denied"
    assert bob_api.delete("/api/v1/tags/1").status_code == 403


def test_create_api_key_command_prints_a_working_key_once(alice_org):
    out = io.StringIO()
    call_command("create_api_key", "alice", "--scope", "write", "--name", "CLI", stdout=out)
    plain = out.getvalue().strip()
    key = ApiKey.objects.get(organization=alice_org, name="CLI")
    assert key.scope == Scope.WRITE and key.hashed_key == digest(plain)
    response = client_for(plain).post("/api/v1/tags", {"name": "vip"}, format="json")
    assert response.status_code == 201


def test_create_api_key_command_names_an_unknown_organization(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="nope"):
        call_command("create_api_key", "nope")


def test_the_admin_shows_a_new_key_once_and_stores_it_hashed(client, alice, alice_org):
    client.force_login(alice)
    response = client.post(reverse("admin:api_apikey_add"), {"name": "Shop", "scope": "write"})
    assert response.status_code == 200
    plain = response.context["secret"]
    key = ApiKey.objects.get(organization=alice_org, name="Shop")
    assert key.hashed_key == digest(plain)
    assert plain.encode() in response.content
    assert plain.encode() not in client.get(reverse("admin:api_apikey_change", args=[key.pk])).content
    assert client_for(plain).get("/api/v1/contacts").status_code == 200


def test_bob_the_marketer_cannot_manage_api_keys(client, bob):
    client.force_login(bob)
    assert client.get(reverse("admin:api_apikey_add")).status_code == 403


def test_the_admin_revokes_keys(client, alice, alice_key, alice_api):
    client.force_login(alice)
    client.post(reverse("admin:api_apikey_changelist"), {"action": "revoke", "_selected_action": [alice_key[0].pk]})
    assert alice_api.get("/api/v1/contacts").status_code == 401


# --- OAuth 2 client credentials -----------------------------------------------------------
@pytest.fixture
def oauth_client(alice_org):
    return create_oauth_client(organization=alice_org, name="Genesys", scope=Scope.WRITE)


def test_client_credentials_give_a_bearer_token_with_the_clients_scope(oauth_client):
    client, secret = oauth_client
    response = get_token(client.client_id, secret)
    assert response.status_code == 200
    body = response.json()
    genesys = json.loads(
        (Path(__file__).resolve().parent.parent / "fixtures" / "genesys_oauth_token_response.json").read_text()
    )
    assert set(body) == set(genesys)  # the same shape as Genesys Cloud's token response
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert response["Cache-Control"] == "no-store"
    token = AccessToken.objects.get(client=client)
    assert token.hashed_token == digest(body["access_token"])
    api = client_for(body["access_token"])
    assert api.post("/api/v1/tags", {"name": "from-oauth"}, format="json").status_code == 201


def test_a_read_client_gets_a_read_token(alice_org):
    client, secret = create_oauth_client(organization=alice_org, name="Reader", scope=Scope.READ)
    api = client_for(get_token(client.client_id, secret).json()["access_token"])
    assert api.get("/api/v1/tags").status_code == 200
    assert api.post("/api/v1/tags", {"name": "x"}, format="json").status_code == 403


def test_a_wrong_secret_is_invalid_client(oauth_client):
    response = get_token(oauth_client[0].client_id, "wrong")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"].startswith("Basic")


def test_no_basic_auth_is_invalid_client(db):
    response = APIClient().post("/oauth/token", "grant_type=client_credentials", content_type=FORM)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_another_grant_type_is_unsupported(oauth_client):
    response = get_token(oauth_client[0].client_id, oauth_client[1], grant_type="password")
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_a_missing_grant_type_is_invalid_request(oauth_client):
    credentials = basic(oauth_client[0].client_id, oauth_client[1])
    response = APIClient().post("/oauth/token", "", content_type=FORM, HTTP_AUTHORIZATION=credentials)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_a_json_body_is_invalid_request_not_500(oauth_client):
    response = APIClient().post(
        "/oauth/token", {"grant_type": "client_credentials"}, format="json",
        HTTP_AUTHORIZATION=basic(oauth_client[0].client_id, oauth_client[1]),
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_a_token_expires(oauth_client):
    token = get_token(oauth_client[0].client_id, oauth_client[1]).json()["access_token"]
    with time_machine.travel(timezone.now() + timedelta(seconds=3601)):
        assert client_for(token).get("/api/v1/tags").status_code == 401


def test_revoking_the_client_ends_its_tokens(oauth_client):
    token = get_token(oauth_client[0].client_id, oauth_client[1]).json()["access_token"]
    OAuthClient.objects.filter(pk=oauth_client[0].pk).update(revoked_at=timezone.now())
    assert client_for(token).get("/api/v1/tags").status_code == 401
    assert get_token(oauth_client[0].client_id, oauth_client[1]).status_code == 401


def test_the_admin_shows_the_client_secret_once(client, alice, alice_org):
    client.force_login(alice)
    response = client.post(reverse("admin:api_oauthclient_add"), {"name": "Genesys", "scope": "read"})
    assert response.status_code == 200
    oauth = OAuthClient.objects.get(organization=alice_org)
    assert oauth.hashed_secret == digest(response.context["secret"])
    assert get_token(oauth.client_id, response.context["secret"]).status_code == 200


def test_expired_tokens_and_old_keys_are_purged_hourly(oauth_client):
    from django_q.models import Schedule

    from api.tasks import purge_api_records

    assert Schedule.objects.filter(func="api.tasks.purge_api_records", schedule_type="H").exists()
    get_token(oauth_client[0].client_id, oauth_client[1])
    purge_api_records()
    assert AccessToken.objects.count() == 1
    with time_machine.travel(timezone.now() + timedelta(seconds=3601)):
        purge_api_records()
    assert not AccessToken.objects.exists()


def test_a_revoked_key_cannot_be_revived_in_the_admin(client, alice, alice_key):
    revoke_api_key(alice_key[0])
    client.force_login(alice)
    url = reverse("admin:api_apikey_change", args=[alice_key[0].pk])
    client.post(url, {"name": "Shop", "scope": "write", "revoked_at_0": "", "revoked_at_1": ""})
    assert ApiKey.objects.get(pk=alice_key[0].pk).revoked_at is not None


def test_charlie_cannot_revoke_alices_keys(client, charlie, alice_key, alice_api):
    client.force_login(charlie)
    client.post(reverse("admin:api_apikey_changelist"), {"action": "revoke", "_selected_action": [alice_key[0].pk]})
    assert alice_api.get("/api/v1/contacts").status_code == 200
