"""Storing a Salesforce Outbound Message exactly once, then firing its events.

The message is stored in one transaction: its notifications and the events they fire are
committed together, and the view acknowledges only after the commit. A redelivery (same
notification Id) finds the stored row and fires nothing again; two deliveries racing on
different connections meet at the unique constraint, and the loser treats the row as a
duplicate.

A record only matches an existing contact (by e-mail address, else by the record's Id or
its ContactId as the contact's external reference); it never creates one, so a closed
Case of a stranger starts no welcome mail. Such a record's event fires without a contact,
for jobs that work from the event's data (*add to directory* creates the contact), and
its notification is linked to the contact once it exists (see integrations.linking).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from contacts.models import Contact, Organization
from contacts.selectors import contact_by_email, contact_by_external_ref
from engage.events import EventType, record_event
from integrations.salesforce import soap
from integrations.salesforce.models import SalesforceConnection, SalesforceNotification, SalesforceRecord

# The sObject fields that name the person a Salesforce record is about, in this order:
# Contact and Lead have Email, a person account PersonEmail, a Case ContactEmail.
EMAIL_FIELDS = ("Email", "PersonEmail", "ContactEmail")


def email_of(fields: dict[str, Any]) -> str:
    value = next((fields[f] for f in EMAIL_FIELDS if fields.get(f)), "")
    return value.strip() if isinstance(value, str) else ""


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
    email = "" if notification.deleted else email_of(notification.fields)
    if record.contact is None and not email:
        row.output = f"No event: the {notification.object_type} has no e-mail address ({', '.join(EMAIL_FIELDS)})."
        row.save(update_fields=["output"])
        return row
    event, _ = record_event(
        organization=organization,
        type=EventType.SALESFORCE_MESSAGE,
        contact=record.contact,
        payload=_event_payload(connection, message, notification),
        source="salesforce",
        external_id=notification.id,
    )
    row.event = event
    if record.contact is None:
        row.status = SalesforceNotification.Status.UNMATCHED
        row.output = (
            f"Event #{event.pk} fired without a contact: none has the address {email} yet. "
            "Only jobs that work from the event's data (add to directory) run for it."
        )
    else:
        row.status, row.contact = SalesforceNotification.Status.PROCESSED, record.contact
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
        record.contact = _matching_contact(organization, notification) or record.contact
    record.save()
    return record, True


def _matching_contact(organization: Organization, notification: soap.Notification) -> Contact | None:
    """The existing contact a record is about: by its e-mail address, else by the record's
    own Id (a Contact or Lead) or its ContactId (a Case) as the contact's external reference."""
    email = email_of(notification.fields)
    contact = contact_by_email(organization, email) if email else None
    for ref in (notification.object_id, notification.fields.get("ContactId")):
        if contact is None and isinstance(ref, str):
            contact = contact_by_external_ref(organization, ref)
    return contact


def _event_payload(
    connection: SalesforceConnection, message: soap.OutboundMessage, notification: soap.Notification
) -> dict[str, Any]:
    return {
        "connection_id": connection.pk,
        "notification_id": notification.id,
        "action_id": message.action_id,
        "organization_id": message.organization_id,
        "object_type": notification.object_type,
        "id": notification.object_id,
        "deleted": notification.deleted,
        "fields": notification.fields,
    }
