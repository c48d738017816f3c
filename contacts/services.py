"""Writes about contacts and system users. Every one that matters fires its event."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction

from automations.events import EventType
from automations.services import record_event
from contacts.models import Contact, Organization, User

# No 0/O, 1/l/I: a password read from a mail is typed by hand.
PASSWORD_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105
PASSWORD_LENGTH = 14


def generate_password(length: int = PASSWORD_LENGTH) -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


@transaction.atomic
def create_contact(*, organization: Organization, email: str, source: str = "engage", **fields: Any) -> Contact:
    contact = Contact(organization=organization, email=email, **fields)
    contact.full_clean(validate_unique=False)
    contact.save()
    record_event(organization=organization, type=EventType.CONTACT_CREATED, contact=contact, source=source)
    return contact


def contact_created(contact: Contact, *, source: str = "admin") -> None:
    """For contacts saved by a model form (the admin): fire the event the service fires."""
    record_event(organization=contact.organization, type=EventType.CONTACT_CREATED, contact=contact, source=source)


def system_user_created(user: User, *, source: str = "admin") -> None:
    if user.organization_id is None:
        return  # host administrators belong to no organization, so no automation sees them
    record_event(organization=user.organization, type=EventType.SYSTEM_USER_CREATED, user=user, source=source)


@transaction.atomic
def request_password(*, contact: Contact, source: str = "portal") -> None:
    record_event(organization=contact.organization, type=EventType.PASSWORD_REQUESTED, contact=contact, source=source)
