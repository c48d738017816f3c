"""Writes of the inbound integrations: store what arrived exactly once, then fire its event.

Every service runs in one transaction: a notification and the event it fires are committed
together, and the caller acknowledges only after the commit. A redelivery (same Salesforce
notification Id, same webhook-id) finds the stored row and fires nothing again; two
deliveries racing on different connections meet at the unique constraint, and the loser
treats the row as a duplicate.
"""

from __future__ import annotations

import base64
import logging
import secrets
from typing import Any

from django.db import transaction

from contacts.models import Contact, Organization
from contacts.services import find_or_create_contact
from engage import crypto
from engage.events import EventType, record_event
from integrations import salesforce
from integrations.models import (
    InboundNotification,
    SalesforceConnection,
    SalesforceNotification,
    SalesforceRecord,
    WebhookEndpoint,
    WebhookSecret,
)
from integrations.tokens import PARAMETER, InvalidToken, read_invitation_token

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"  # noqa: S105 (the Standard Webhooks prefix, not a secret)
# The sObject fields that name the person a Salesforce record is about, in this order:
# Contact and Lead have Email, a person account PersonEmail, a Case ContactEmail.
EMAIL_FIELDS = ("Email", "PersonEmail", "ContactEmail")


# --- Salesforce -------------------------------------------------------------------------
@transaction.atomic
def receive_salesforce_message(
    *, connection: SalesforceConnection, message: salesforce.OutboundMessage
) -> list[SalesforceNotification]:
    """Store the message's notifications not stored before and fire their events.
    Returns the newly stored ones."""
    stored = []
    # In Id order, so that two deliveries of the same message wait for each other's rows
    # in the same order instead of deadlocking.
    for notification in sorted(message.notifications, key=lambda n: n.id):
        row = _store_notification(connection, message, notification)
        if row is not None:
            stored.append(row)
    return stored


def _store_notification(
    connection: SalesforceConnection, message: salesforce.OutboundMessage, notification: salesforce.Notification
) -> SalesforceNotification | None:
    organization = connection.organization
    # get_or_create settles a concurrent delivery of the same notification by the unique
    # constraint: one of them creates the row, the other finds it.
    row, created = SalesforceNotification.objects.get_or_create(
        organization=organization,
        notification_id=notification.id,
        defaults={
            "connection": connection,
            "action_id": message.action_id,
            "object_type": notification.object_type,
            "object_id": notification.object_id,
            "fields": notification.fields,
            "deleted": notification.deleted,
            "last_modified_at": notification.last_modified_at,
            "status": SalesforceNotification.Status.NO_CONTACT,
        },
    )
    if not created:
        return None
    record, current = _update_record(organization, notification)
    if not current:
        row.status = SalesforceNotification.Status.OUTDATED
        row.output = (
            f"Not applied: the record was last modified at {record.last_modified_at.isoformat()}, "
            f"this notification is older ({notification.last_modified_at.isoformat()})."
        )
        row.save(update_fields=["status", "output"])
        return row
    if record.contact is None:
        row.output = f"No event: the {notification.object_type} has no e-mail address ({', '.join(EMAIL_FIELDS)})."
        row.save(update_fields=["output"])
        return row
    event, _ = record_event(
        organization=organization,
        type=EventType.SALESFORCE_MESSAGE,
        contact=record.contact,
        payload=_event_payload(message, notification),
        source="salesforce",
        external_id=notification.id,
    )
    row.status, row.contact, row.event = SalesforceNotification.Status.PROCESSED, record.contact, event
    row.output = f"Event #{event.pk} fired for {record.contact.email}."
    row.save(update_fields=["status", "contact", "event", "output"])
    return row


def _update_record(organization: Organization, notification: salesforce.Notification) -> tuple[SalesforceRecord, bool]:
    """Bring the record's latest state up to date; False if the notification is older
    than what is known (it then changes nothing)."""
    record, _ = SalesforceRecord.objects.get_or_create(
        organization=organization,
        object_id=notification.object_id,
        defaults={"object_type": notification.object_type},
    )
    record = SalesforceRecord.objects.select_for_update().get(pk=record.pk)
    known, received = record.last_modified_at, notification.last_modified_at
    if known is not None and received is not None and received < known:
        return record, False
    if notification.deleted:
        record.deleted = True  # last_modified_at stays: a later change (an undelete) is newer
    else:
        record.object_type, record.fields, record.deleted = notification.object_type, notification.fields, False
        record.last_modified_at = received or known
        email = next((notification.fields[f] for f in EMAIL_FIELDS if notification.fields.get(f)), "")
        contact = find_or_create_contact(
            organization=organization,
            email=email,
            source="salesforce",
            first_name=notification.fields.get("FirstName") or "",
            last_name=notification.fields.get("LastName") or "",
        )
        record.contact = contact or record.contact
    record.save()
    return record, True


def _event_payload(message: salesforce.OutboundMessage, notification: salesforce.Notification) -> dict[str, Any]:
    return {
        "notification_id": notification.id,
        "action_id": message.action_id,
        "organization_id": message.organization_id,
        "object_type": notification.object_type,
        "id": notification.object_id,
        "deleted": notification.deleted,
        "fields": notification.fields,
    }


# --- Notifications from other systems ---------------------------------------------------
def contact_email_of(payload: dict[str, Any]) -> str:
    """The e-mail address a notification names: `contact.email`, else `email` (an
    `engage_token` from an invitation link takes precedence, see invited_contact)."""
    contact = payload.get("contact")
    if isinstance(contact, dict) and isinstance(contact.get("email"), str):
        return contact["email"]
    email = payload.get("email")
    return email if isinstance(email, str) else ""


def invited_contact(organization: Organization, payload: dict[str, Any]) -> Contact | None:
    """The contact an invitation link's `engage_token` names (a survey sending it back),
    if the token is genuine and of this organization."""
    token = payload.get(PARAMETER)
    if not isinstance(token, str):
        return None
    try:
        invitation = read_invitation_token(token)
    except InvalidToken:
        return None
    if invitation.organization_id != organization.pk:
        return None
    return Contact.objects.filter(organization=organization, pk=invitation.contact_id, erased_at__isnull=True).first()


@transaction.atomic
def receive_notification(
    *,
    organization: Organization,
    source: str,
    webhook_id: str,
    payload: dict[str, Any],
    endpoint: WebhookEndpoint | None = None,
) -> tuple[InboundNotification, bool]:
    """Store a notification once per (source, webhook_id) and fire EXTERNAL_NOTIFICATION for
    the contact it names. Returns (notification, created)."""
    row, created = InboundNotification.objects.get_or_create(
        organization=organization,
        source=source,
        webhook_id=webhook_id,
        defaults={"endpoint": endpoint, "payload": payload, "status": InboundNotification.Status.NO_CONTACT},
    )
    if not created:
        return row, False
    email = contact_email_of(payload)
    contact = invited_contact(organization, payload) or find_or_create_contact(
        organization=organization, email=email, source=source
    )
    if contact is None:
        row.output = (
            f"No event: “{email}” is not an e-mail address."
            if email
            else "No event: the payload names no contact (engage_token, contact.email or email)."
        )
        row.save(update_fields=["output"])
        return row, True
    event, _ = record_event(
        organization=organization,
        type=EventType.EXTERNAL_NOTIFICATION,
        contact=contact,
        payload=payload,
        source=source,
        external_id=webhook_id,
    )
    row.status, row.contact, row.event = InboundNotification.Status.PROCESSED, contact, event
    row.output = f"Event #{event.pk} fired for {contact.email}."
    row.save(update_fields=["status", "contact", "event", "output"])
    return row, True


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
