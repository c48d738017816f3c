"""Storing a notification from another system (a signed webhook, an ActiveCampaign webhook)
exactly once, then firing its event for the contact it names.

A signed webhook only matches an existing contact (by invitation token, address or
external reference): a stranger's address creates no contact and so starts no welcome
mail. Its event fires without a contact, for jobs that work from the event's data (*add
to directory* creates the contact), and the notification is linked to the contact once it
exists (see integrations.linking). ActiveCampaign is a sync partner: its webhooks may
create the contact.

The notification and its event are committed together in one transaction, and the caller
acknowledges only after the commit. A redelivery (same webhook-id) finds the stored row and
fires nothing again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from contacts.models import Contact, Organization
from contacts.selectors import contact_by_email, contact_by_external_ref
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


def external_ref_of(payload: dict[str, Any]) -> str:
    """The contact's id in the sending system, if the notification names one:
    `contact.external_ref`, else `external_ref`."""
    contact = payload.get("contact")
    if isinstance(contact, dict) and isinstance(contact.get("external_ref"), str):
        return contact["external_ref"]
    external_ref = payload.get("external_ref")
    return external_ref if isinstance(external_ref, str) else ""


def matching_contact(organization: Organization, payload: dict[str, Any]) -> Contact | None:
    """The existing contact a notification names (never a new one): by invitation token,
    then by e-mail address, then by external reference."""
    invited = invited_contact(organization, payload)
    if invited is not None:
        return invited
    email = contact_email_of(payload).strip()
    by_email = contact_by_email(organization, email) if email else None
    return by_email or contact_by_external_ref(organization, external_ref_of(payload))


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
    create_contact: bool = False,
) -> tuple[InboundNotification, bool]:
    """Store a notification once per (source, webhook_id) and fire EXTERNAL_NOTIFICATION for
    the contact it names. `create_contact`: a named address that no contact has becomes a
    new contact (ActiveCampaign); otherwise the event fires without a contact. Returns
    (notification, created)."""
    row, created = InboundNotification.objects.get_or_create(
        organization=organization,
        source=source,
        webhook_id=webhook_id,
        defaults={"endpoint": endpoint, "payload": payload, "status": InboundNotification.Status.NO_CONTACT},
    )
    if not created:
        return row, False
    email, external_ref = contact_email_of(payload).strip(), external_ref_of(payload).strip()
    contact = matching_contact(organization, payload)
    if contact is None and create_contact:
        contact = find_or_create_contact(organization=organization, email=email, source=source)
    if contact is None and not (_is_address(email) or external_ref):
        row.output = (
            f"No event: “{email}” is not an e-mail address."
            if email
            else "No event: the payload names no contact (engage_token, contact.email, email or external_ref)."
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
    row.event = event
    if contact is None:
        row.status = InboundNotification.Status.UNMATCHED
        row.output = (
            f"Event #{event.pk} fired without a contact: none has {_named(email, external_ref)} yet. "
            "Only jobs that work from the event's data (add to directory) run for it."
        )
    else:
        row.status, row.contact = InboundNotification.Status.PROCESSED, contact
        row.output = f"Event #{event.pk} fired for {contact.email}."
    row.save(update_fields=["status", "contact", "event", "output"])
    return row, True


def _is_address(email: str) -> bool:
    try:
        validate_email(email)
    except ValidationError:
        return False
    return len(email) <= 254


def _named(email: str, external_ref: str) -> str:
    if _is_address(email):
        return f"the address {email}"
    return f"the external reference {external_ref}"
