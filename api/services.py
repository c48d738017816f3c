"""Writes the API makes that need more than one service call of another app."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from contacts import services as contact_services
from contacts.models import Contact, Organization
from contacts.selectors import contact_by_email
from engage.events import NewEvent, record_events

SOURCE = "api"


@transaction.atomic
def upsert_contacts(*, organization: Organization, items: list[dict[str, Any]]) -> list[tuple[Contact, bool]]:
    return [contact_services.upsert_contact(organization=organization, data=item, source=SOURCE) for item in items]


class UnknownContacts(Exception):
    """Some events name contacts the organization does not have: {index: message}."""

    def __init__(self, errors: dict[int, str]):
        super().__init__(errors)
        self.errors = errors


def resolve_contacts(*, organization: Organization, items: list[dict[str, Any]]) -> list[Contact]:
    """The contact of each event (given by id or e-mail), all in two queries."""
    ids = {item["contact"] for item in items if "contact" in item}
    emails = {item["email"].lower() for item in items if "email" in item}
    # Events need only the contact's id (and organization): no need to load whole rows.
    scoped = Contact.objects.filter(organization=organization).only("id", "organization_id", "email")
    by_id = {c.pk: c for c in scoped.filter(pk__in=ids)} if ids else {}
    by_email = {c.email.lower(): c for c in scoped.filter(email__in=emails)} if emails else {}
    if emails and len(by_email) < len(emails):  # addresses stored in other letter cases
        for email in emails - set(by_email):
            contact = contact_by_email(organization, email)
            if contact is not None:
                by_email[email] = contact
    contacts, errors = [], {}
    for index, item in enumerate(items):
        contact = by_id.get(item["contact"]) if "contact" in item else by_email.get(item["email"].lower())
        if contact is None:
            errors[index] = "No such contact."
        contacts.append(contact)
    if errors:
        raise UnknownContacts(errors)
    return contacts


@transaction.atomic
def ingest_events(*, organization: Organization, items: list[dict[str, Any]]) -> list[tuple[Any, bool]]:
    """Record contact events from the API; returns (event, created) for each, in order.
    An event whose external_id was recorded before is returned with created=False."""
    contacts = resolve_contacts(organization=organization, items=items)
    events = [
        NewEvent(
            type=item["type"],
            contact=contact,
            payload=item.get("payload") or {},
            source=SOURCE,
            external_id=item.get("external_id"),
            occurred_at=item.get("occurred_at"),
            name=item.get("name", ""),
        )
        for item, contact in zip(items, contacts, strict=True)
    ]
    return record_events(organization=organization, events=events)
