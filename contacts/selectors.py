"""Reads about contacts, always scoped by organization."""

from __future__ import annotations

from typing import Any

from contacts.models import Contact, Organization, Selection
from contacts.selections import matching_contacts, validate_definition


def contact_by_email(organization: Organization, email: str, *, lock: bool = False) -> Contact | None:
    """The organization's contact with this address, whatever its letter case and spaces
    around it; the oldest if several differ only in case. An erased contact has an address
    of its own (erased-<id>@erased.invalid), so no real address finds it. `lock`: for an
    update in the caller's transaction."""
    contacts = Contact.objects.filter(organization=organization, email__iexact=email.strip()).order_by("pk")
    return (contacts.select_for_update() if lock else contacts).first()


def contact_by_external_ref(organization: Organization, external_ref: str) -> Contact | None:
    """The organization's contact whose external reference (its id in another system, e.g.
    a Salesforce record Id) is this one; the oldest if several share it."""
    external_ref = (external_ref or "").strip()
    if not external_ref:
        return None
    contacts = Contact.objects.filter(organization=organization, external_ref=external_ref, erased_at__isnull=True)
    return contacts.order_by("pk").first()


def email_taken(*, organization: Organization, email: str, exclude_pk: int | None = None) -> bool:
    others = Contact.objects.filter(organization=organization, email__iexact=email.strip())
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return others.exists()


def selection_contacts(selection: Selection):
    """The contacts that match a selection now."""
    return matching_contacts(selection.organization, selection.definition)


def organization_by_id(value: Any) -> Organization | None:
    """The organization whose id a host administrator chose in a form, or None."""
    text = str(value or "")
    return Organization.objects.filter(pk=int(text)).first() if text.isdigit() and int(text) < 2**63 else None


def count_matching(organization: Organization, definition: Any) -> int:
    """How many of the organization's contacts a definition matches now, saved or not.
    Raises ValidationError naming each broken condition."""
    validate_definition(organization, definition)
    return matching_contacts(organization, definition).count()


def selection_matches(selection: Selection, contact: Contact) -> bool:
    """Whether one contact matches a selection now (one EXISTS query)."""
    return selection_contacts(selection).filter(pk=contact.pk).exists()
