"""The contacts app's part of a contact's history (engage.history): consent and transactions."""

from __future__ import annotations

from django.utils.translation import gettext as _

from contacts.models import ConsentRecord, Contact, Transaction
from engage import history
from engage.history import Entry


def consent_changes(contact: Contact, limit: int) -> list[Entry]:
    records = ConsentRecord.objects.filter(contact=contact).select_related("group").order_by("-at", "-id")[:limit]
    return [
        Entry(
            at=record.at,
            kind=_("consent"),
            title=f"{record.get_action_display()}: {record.group.name}"
            if record.group
            else record.get_action_display(),
            url=history.admin_url(record),
            detail=record.source,
        )
        for record in records
    ]


def transactions(contact: Contact, limit: int) -> list[Entry]:
    rows = Transaction.objects.filter(contact=contact).order_by("-occurred_at", "-id")[:limit]
    return [
        # Transactions have no page of their own: they are listed further up the contact's page.
        Entry(at=row.occurred_at, kind=_("transaction"), title=row.type, url="#transactions-group")
        for row in rows
    ]


def register() -> None:
    history.register("consent", consent_changes)
    history.register("transactions", transactions)
