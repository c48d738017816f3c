"""The personal data the integrations hold about a contact: the payloads of the
notifications other systems sent about it (see engage.personal_data).

A notification is linked to its contact when one matched; one that arrived before the
contact existed, or named it differently, is found by the address in its payload, so
erasure leaves the address nowhere."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from engage import personal_data
from integrations.common.models import InboundNotification
from integrations.salesforce.models import SalesforceNotification, SalesforceRecord


def _about(model, contact, email: str, payload_field: str):
    """The organization's rows linked to the contact, or naming its address."""
    named = Q(**{f"{payload_field}__icontains": email}) if email else Q(pk__in=[])
    return model.objects.filter(Q(contact=contact) | named, organization_id=contact.organization_id)


def _export_salesforce(contact) -> list[dict[str, Any]]:
    return [
        {"object": n.object_type, "fields": n.fields, "received_at": n.received_at.isoformat()}
        for n in SalesforceNotification.objects.filter(contact=contact).order_by("received_at")
    ]


def _export_salesforce_records(contact) -> list[dict[str, Any]]:
    return [{"object": r.object_type, "fields": r.fields} for r in SalesforceRecord.objects.filter(contact=contact)]


def _export_inbound(contact) -> list[dict[str, Any]]:
    return [
        {"source": n.source, "payload": n.payload, "received_at": n.received_at.isoformat()}
        for n in InboundNotification.objects.filter(contact=contact).order_by("received_at")
    ]


def register() -> None:
    personal_data.register(
        "salesforce_notifications",
        SalesforceNotification,
        fields=("fields", "output"),
        export=_export_salesforce,
        erase=lambda contact, email: _about(SalesforceNotification, contact, email, "fields").update(
            fields={}, output=""
        ),
    )
    personal_data.register(
        "salesforce_records",
        SalesforceRecord,
        fields=("fields",),
        export=_export_salesforce_records,
        erase=lambda contact, email: _about(SalesforceRecord, contact, email, "fields").update(fields={}),
    )
    personal_data.register(
        "inbound_notifications",
        InboundNotification,
        fields=("payload", "output"),
        export=_export_inbound,
        erase=lambda contact, email: _about(InboundNotification, contact, email, "payload").update(
            payload={}, output=""
        ),
    )
