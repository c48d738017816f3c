"""Idempotency keys for e-mail service providers.

Every outbound message has a key that never changes across its retries (`idempotency_key`).
A send whose answer was lost (a timeout after the ESP accepted it) is retried with the same
key, and an ESP that honours idempotency keys sends the mail once.

- Resend honours one: the key goes in the `Idempotency-Key` HTTP header (kept 24 hours),
  through `ResendBackend` below, which the organization's and the environment's Resend
  settings use.
- Postmark, SendGrid, Mailgun, Mailjet, Brevo and SparkPost have no idempotency for sending
  (Postmark says so in its documentation): the key travels as metadata
  (`engage_idempotency_key`), so that their events name it and a duplicate can be told.
- SMTP has the message's stable Message-ID.
"""

from __future__ import annotations

import uuid

from anymail.backends import resend

from notifications.models import OutboundMessage

METADATA_KEY = "engage_idempotency_key"
# Derived keys are UUIDs in this namespace: the same message always gets the same key.
NAMESPACE = uuid.UUID("3f7c2a4e-9d1b-4c55-8e0a-6b2d9f1e7a30")


def idempotency_key(message: OutboundMessage) -> str:
    """`engage-<pk>-<uuid>`, the UUID derived from the Message-ID (random, made once when
    the message was queued), so keys of two installations or a reset database never meet."""
    return f"engage-{message.pk}-{uuid.uuid5(NAMESPACE, message.message_id or str(message.created_at))}"


def attach_idempotency_key(email, message: OutboundMessage) -> None:
    """Give an outgoing Django/anymail message its outbox row's key (as anymail metadata;
    backends that are not anymail's ignore it)."""
    email.metadata = {**(getattr(email, "metadata", None) or {}), METADATA_KEY: idempotency_key(message)}


class ResendPayload(resend.ResendPayload):
    def __init__(self, message, defaults, backend, *args, **kwargs):
        super().__init__(message, defaults, backend, *args, **kwargs)
        key = (getattr(message, "metadata", None) or {}).get(METADATA_KEY)
        if key:
            self.headers["Idempotency-Key"] = key


class ResendBackend(resend.EmailBackend):
    """anymail's Resend backend, sending the message's idempotency key as Resend asks."""

    def build_message_payload(self, message, defaults):
        return ResendPayload(message, defaults, self)
