"""Storing a Salesforce Outbound Message exactly once, then firing its events.

The message is stored in one transaction: its notifications and the events they fire are
committed together, and the view acknowledges only after the commit. A redelivery (same
notification Id) finds the stored row and fires nothing again; two deliveries racing on
different connections meet at the unique constraint, and the loser treats the row as a
duplicate.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from contacts.models import Organization
from contacts.services import find_or_create_contact
from engage.events import EventType, record_event
from integrations.salesforce import soap
from integrations.salesforce.models import SalesforceConnection, SalesforceNotification, SalesforceRecord

# The sObject fields that name the person a Salesforce record is about, in this order:
# Contact and Lead have Email, a person account PersonEmail, a Case ContactEmail.
EMAIL_FIELDS = ("Email", "PersonEmail", "ContactEmail")


@transaction.atomic
def receive_salesforce_message(
    *, connection: SalesforceConnection, message: soap.OutboundMessage
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
    connection: SalesforceConnection, message: soap.OutboundMessage, notification: soap.Notification
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


def _update_record(organization: Organization, notification: soap.Notification) -> tuple[SalesforceRecord, bool]:
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


def _event_payload(message: soap.OutboundMessage, notification: soap.Notification) -> dict[str, Any]:
    return {
        "notification_id": notification.id,
        "action_id": message.action_id,
        "organization_id": message.organization_id,
        "object_type": notification.object_type,
        "id": notification.object_id,
        "deleted": notification.deleted,
        "fields": notification.fields,
    }
