"""The data-protection rights of a contact: a copy of everything we hold (Art. 15/20 GDPR)
and erasure (Art. 17) that keeps statistics but nothing that identifies the person.

Every app registers the personal data it holds (engage.personal_data); these two services
run over that registry. This module also registers what the contacts app itself holds.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from contacts.models import ConsentRecord, Contact, LoginFailure, Membership, Suppression, Transaction
from engage import personal_data


def export_contact(contact: Contact) -> dict[str, Any]:
    """Everything Engage stores about one contact, as JSON-ready data."""
    return personal_data.export_all(contact)


@transaction.atomic
def erase_contact(contact: Contact) -> None:
    """Remove every personal detail. What remains (events, runs, messages, memberships,
    consent records) keeps its counts and times for statistics, tied to an anonymous
    contact that can no longer receive mail or log in."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    personal_data.erase_all(contact, contact.email)


def _export_contact(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.pk,
        "organization": contact.organization.name,
        "email": contact.email,
        "salutation": contact.salutation,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "phone": contact.phone,
        "company": contact.company,
        "language": contact.language,
        "external_reference": contact.external_ref,
        "attributes": contact.attributes,
        "has_preference_center_password": bool(contact.password),
        "created_at": contact.created_at.isoformat(),
        "updated_at": contact.updated_at.isoformat(),
    }


def _erase_contact(contact: Contact, email: str) -> None:
    """The contact's own row, first of all erasers: the others see the anonymous address."""
    contact.email = f"erased-{contact.pk}@erased.invalid"
    contact.salutation = contact.first_name = contact.last_name = contact.phone = contact.company = (
        contact.external_ref
    ) = ""
    contact.attributes = {}
    contact.password = ""
    contact.erased_at = timezone.now()
    contact.save()
    contact.tags.clear()


def _export_groups(contact: Contact) -> list[dict[str, Any]]:
    return [
        {"group": m.group.name, "state": m.state, "reason": m.reason, "changed_at": m.changed_at.isoformat()}
        for m in contact.memberships.select_related("group").order_by("group__name")
    ]


def _export_consents(contact: Contact) -> list[dict[str, Any]]:
    return [
        {
            "action": c.action,
            "group": c.group.name if c.group else None,
            "ip_address": c.ip_address,
            "source": c.source,
            "text": c.text,
            "at": c.at.isoformat(),
        }
        for c in contact.consents.select_related("group").order_by("at")
    ]


def _export_suppressions(contact: Contact) -> list[str]:
    return list(
        Suppression.objects.filter(organization_id=contact.organization_id, address=contact.email.lower()).values_list(
            "reason", flat=True
        )
    )


def register() -> None:
    personal_data.register(
        "contact",
        Contact,
        fields=("email", "attributes"),
        export=_export_contact,
        erase=_erase_contact,
        kept={"password": "a hash, cleared with the row but never exported"},
    )
    personal_data.register(
        "tags",
        Contact.tags.through,
        fields=(),
        export=lambda contact: sorted(contact.tags.values_list("name", flat=True)),
        erase=lambda contact, email: None,  # cleared with the contact's row
    )
    personal_data.register(
        "groups",
        Membership,
        fields=("reason",),
        export=_export_groups,
        erase=lambda contact, email: Membership.objects.filter(contact=contact).update(
            state=Membership.State.UNSUBSCRIBED, reason=""
        ),
    )
    personal_data.register(
        "transactions",
        Transaction,
        fields=("data",),
        export=lambda contact: [
            {"type": t.type, "data": t.data, "occurred_at": t.occurred_at.isoformat()}
            for t in contact.transactions.order_by("occurred_at")
        ],
        erase=lambda contact, email: Transaction.objects.filter(contact=contact).update(data={}),
    )
    personal_data.register(
        "consents",
        ConsentRecord,
        fields=("ip_address", "text"),
        export=_export_consents,
        erase=lambda contact, email: ConsentRecord.objects.filter(contact=contact).update(ip_address=None, text=""),
    )
    personal_data.register(
        "suppressed",
        Suppression,
        fields=(),
        export=_export_suppressions,
        # An address on the suppression list stays there: erasure must not start mail again.
        erase=lambda contact, email: None,
        kept={"address": "keeps honouring a bounce, complaint or unsubscribe", "note": "written by staff"},
    )
    personal_data.register(
        "login_failures",
        LoginFailure,
        fields=("email",),
        export=lambda contact: LoginFailure.objects.filter(
            organization_id=contact.organization_id, email=contact.email.lower()
        ).count(),
        erase=lambda contact, email: LoginFailure.objects.filter(
            organization_id=contact.organization_id, email=email.lower()
        ).delete(),
    )
