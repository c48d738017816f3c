"""Writes the preference center makes that need the services of more than one app."""

from __future__ import annotations

from django.db import transaction

from contacts import services as contact_services
from contacts.models import Contact
from notifications.models import Suppression
from notifications.suppression import suppress


@transaction.atomic
def unsubscribe_everything(*, contact: Contact, source: str, reason: str = "", ip_address: str | None = None) -> None:
    """Unsubscribe the contact from every group. "Everything" means every mail to this
    address: it goes on the suppression list too."""
    contact_services.unsubscribe_all(contact=contact, source=source, reason=reason, ip_address=ip_address)
    suppress(
        organization=contact.organization, address=contact.email, reason=Suppression.Reason.UNSUBSCRIBE, note=source
    )
