"""Creating and checking API keys, OAuth client secrets and access tokens.

A credential looks like `<kind>_<prefix>_<secret>`. The prefix is stored in clear to find
the row; the whole value only as HMAC-SHA-256 (keyed with SECRET_KEY), compared in
constant time. Changing SECRET_KEY therefore invalidates every credential.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from api.models import AccessToken, ApiKey, OAuthClient, Scope
from contacts.models import Organization

KEY_KIND = "eng"
TOKEN_KIND = "eat"  # noqa: S105 (a prefix, not a secret)
CLIENT_KIND = "ecl"
# last_used_at is written at most this often per key, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Principal:
    """Who calls the API: always one organization with one scope, and whether it may send
    agentless e-mail (a permission of its own)."""

    organization: Organization
    scope: str
    credential: str  # "key:<id>" or "client:<id>", for rate limits and logs
    can_send_agentless: bool = False

    is_authenticated = True
    is_anonymous = False

    @property
    def can_write(self) -> bool:
        return self.scope == Scope.WRITE

    @property
    def pk(self) -> str:
        return self.credential


def digest(value: str) -> str:
    key = f"engage-api:{settings.SECRET_KEY}".encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def _new_secret(kind: str) -> tuple[str, str]:
    prefix = secrets.token_hex(6)
    return prefix, f"{kind}_{prefix}_{secrets.token_urlsafe(32)}"


def _split(value: str, kind: str) -> str | None:
    parts = value.split("_", 2)
    if len(parts) != 3 or parts[0] != kind or not parts[1] or not parts[2]:
        return None
    return parts[1]


@transaction.atomic
def create_api_key(
    *, organization: Organization, name: str, scope: str = Scope.READ, agentless_email: bool = False
) -> tuple[ApiKey, str]:
    """Returns the key and its plain value, which is shown once and never stored."""
    key = ApiKey(organization=organization, name=name, scope=scope, agentless_email=agentless_email)
    return key, save_new_api_key(key=key)


@transaction.atomic
def save_new_api_key(*, key: ApiKey) -> str:
    """Give a new key that a form has built (the admin) its secret and store it; returns the
    plain value, which is shown once and never stored."""
    key.prefix, plain = _new_secret(KEY_KIND)
    key.hashed_key = digest(plain)
    key.save()
    return plain


@transaction.atomic
def create_oauth_client(
    *, organization: Organization, name: str, scope: str = Scope.READ, agentless_email: bool = False
) -> tuple[OAuthClient, str]:
    client = OAuthClient(organization=organization, name=name, scope=scope, agentless_email=agentless_email)
    return client, save_new_oauth_client(client=client)


@transaction.atomic
def save_new_oauth_client(*, client: OAuthClient) -> str:
    """Give a new client that a form has built (the admin) its id and secret and store it;
    returns the plain secret, which is shown once and never stored."""
    client.client_id = f"{CLIENT_KIND}_{secrets.token_hex(8)}"
    plain = f"{CLIENT_KIND}s_{secrets.token_urlsafe(32)}"
    client.hashed_secret = digest(plain)
    client.save()
    return plain


def revoke_api_key(key: ApiKey) -> None:
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


@transaction.atomic
def revoke_credentials(*, credentials: QuerySet[ApiKey] | QuerySet[OAuthClient]) -> int:
    """Revoke the API keys or OAuth clients of a queryset that are not revoked yet; returns
    how many were."""
    return credentials.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def principal_for_bearer(value: str) -> Principal | None:
    """The caller a bearer value stands for, or None when it is unknown, revoked or expired."""
    if prefix := _split(value, KEY_KIND):
        return _principal_for_key(prefix, value)
    if prefix := _split(value, TOKEN_KIND):
        return _principal_for_token(prefix, value)
    return None


def _principal_for_key(prefix: str, value: str) -> Principal | None:
    key = ApiKey.objects.select_related("organization").filter(prefix=prefix, revoked_at__isnull=True).first()
    if key is None or not hmac.compare_digest(key.hashed_key, digest(value)):
        return None
    now = timezone.now()
    if key.last_used_at is None or key.last_used_at < now - LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return Principal(
        organization=key.organization,
        scope=key.scope,
        credential=f"key:{key.pk}",
        can_send_agentless=key.agentless_email,
    )


def _principal_for_token(prefix: str, value: str) -> Principal | None:
    token = (
        AccessToken.objects.select_related("client__organization")
        .filter(prefix=prefix, expires_at__gt=timezone.now(), client__revoked_at__isnull=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.hashed_token, digest(value)):
        return None
    client = token.client
    return Principal(
        organization=client.organization,
        scope=client.scope,
        credential=f"client:{client.pk}",
        can_send_agentless=client.agentless_email,
    )


def authenticate_client(client_id: str, secret: str) -> OAuthClient | None:
    client = OAuthClient.objects.filter(client_id=client_id, revoked_at__isnull=True).first()
    # Compare even when there is no client, so that timing tells nothing about client ids.
    expected = client.hashed_secret if client else digest("no such client")
    if not hmac.compare_digest(expected, digest(secret)) or client is None:
        return None
    return client


@transaction.atomic
def issue_token(client: OAuthClient) -> tuple[str, int]:
    """A new access token for the client; returns it and its lifetime in seconds."""
    lifetime = settings.ENGAGE_API_TOKEN_SECONDS
    prefix, plain = _new_secret(TOKEN_KIND)
    now = timezone.now()
    AccessToken.objects.create(
        client=client, prefix=prefix, hashed_token=digest(plain), expires_at=now + timedelta(seconds=lifetime)
    )
    return plain, lifetime


def purge_expired_tokens() -> int:
    deleted, _ = AccessToken.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
