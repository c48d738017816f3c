"""Storing a notification from another system (a signed webhook, an ActiveCampaign webhook)
exactly once, then firing its event for the contact it names.

The notification and its event are committed together in one transaction, and the caller
acknowledges only after the commit. A redelivery (same webhook-id) finds the stored row and
fires nothing again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from contacts.models import Contact, Organization
from contacts.services import find_or_create_contact
from engage.events import EventType, record_event
from integrations.common.invitations import PARAMETER, InvalidToken, read_invitation_token
from integrations.common.models import InboundNotification

if TYPE_CHECKING:
    from integrations.webhooks.models import WebhookEndpoint


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
