"""The suppression list: addresses an organization no longer sends to.

Hard bounces, spam complaints and unsubscribes add an address; an administrator may add
or remove one by hand. Every send checks the list first (see notifications.services.send_claimed).
"""

from __future__ import annotations

import re
from email.utils import parseaddr

from django.db import IntegrityError, transaction

from contacts.models import Organization, Suppression

# A bare address of the common characters, which parseaddr returns unchanged (and slowly).
_PLAIN = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+")


def normalize(address: str) -> str:
    """The bare address in lower case: "Ann <Ann@Example.org>" → "ann@example.org"."""
    if _PLAIN.fullmatch(address):
        return address.lower()
    return (parseaddr(address)[1] or address).strip().lower()


def is_suppressed(organization: Organization, address: str) -> bool:
    return Suppression.objects.filter(organization=organization, address=normalize(address)).exists()


def suppression_of(organization: Organization, address: str) -> Suppression | None:
    return Suppression.objects.filter(organization=organization, address=normalize(address)).first()


def suppress(*, organization: Organization, address: str, reason: str, note: str = "") -> Suppression:
    """Put the address on the organization's list; an address already there keeps its
    first reason and note (idempotent: a replayed bounce changes nothing)."""
    address = normalize(address)
    existing = suppression_of(organization, address)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Suppression.objects.create(organization=organization, address=address, reason=reason, note=note)
    except IntegrityError:  # added concurrently by another worker
        return Suppression.objects.get(organization=organization, address=address)


def unsuppress(*, organization: Organization, address: str) -> bool:
    deleted, _ = Suppression.objects.filter(organization=organization, address=normalize(address)).delete()
    return bool(deleted)


def lift_unsubscribe(*, organization: Organization, address: str) -> bool:
    """Remove the address only if it is listed because its owner unsubscribed: a contact
    who subscribes again wants mail; bounces and complaints stay."""
    listed = Suppression.objects.filter(
        organization=organization, address=normalize(address), reason=Suppression.Reason.UNSUBSCRIBE
    )
    deleted, _ = listed.delete()
    return bool(deleted)
