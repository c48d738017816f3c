"""The signing secrets of webhook endpoints: generated or pasted, stored encrypted, shown once."""

from __future__ import annotations

import base64
import secrets

from django.db import transaction

from engage import crypto
from integrations.webhooks.models import WebhookEndpoint, WebhookSecret

SECRET_PREFIX = "whsec_"  # noqa: S105 (the Standard Webhooks prefix, not a secret)


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def secret_hint(secret: str) -> str:
    return f"{SECRET_PREFIX}…{secret[-4:]}"


@transaction.atomic
def add_webhook_secret(*, endpoint: WebhookEndpoint, secret: str | None = None) -> str:
    """Add a signing secret (a new random one unless given); returns it in plain text,
    the only time it is shown."""
    secret = secret or generate_secret()
    WebhookSecret.objects.create(endpoint=endpoint, encrypted=crypto.encrypt(secret), hint=secret_hint(secret))
    return secret


def webhook_secrets(endpoint: WebhookEndpoint) -> list[str]:
    return [crypto.decrypt(row.encrypted) for row in endpoint.secrets.all()]
