"""The integrations' part of a contact's history (engage.history): inbound notifications."""

from __future__ import annotations

from django.utils.translation import gettext as _

from contacts.models import Contact
from engage import history
from engage.history import Entry
from integrations.common.models import InboundNotification
from integrations.salesforce.models import SalesforceNotification


def inbound(contact: Contact, limit: int) -> list[Entry]:
    entries = []
    for row in InboundNotification.objects.filter(contact=contact).order_by("-received_at", "-id")[:limit]:
        entries.append(
            Entry(
                at=row.received_at,
                kind=_("inbound notification"),
                title=row.get_source_display(),
                url=history.admin_url(row),
                status=row.get_status_display(),
                detail=row.output,
            )
        )
    for row in SalesforceNotification.objects.filter(contact=contact).order_by("-received_at", "-id")[:limit]:
        entries.append(
            Entry(
                at=row.received_at,
                kind=_("inbound notification"),
                title=f"Salesforce {row.object_type}",
                url=history.admin_url(row),
                status=row.get_status_display(),
                detail=row.output,
            )
        )
    return entries


def register() -> None:
    history.register("inbound", inbound)
