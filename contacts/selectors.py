"""Reads about contacts, always scoped by organization."""

from __future__ import annotations

from contacts.models import Contact, Organization


def email_taken(*, organization: Organization, email: str, exclude_pk: int | None = None) -> bool:
    others = Contact.objects.filter(organization=organization, email__iexact=email)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return others.exists()
