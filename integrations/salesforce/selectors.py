"""Reads of the Salesforce integration for automations bound to a Salesforce workflow
(plugged into `engage.ports` by the integrations app)."""

from __future__ import annotations

from typing import Any

from engage.ports import SalesforceChoices
from integrations.salesforce.models import SalesforceConnection, SalesforceNotification, SalesforceRecord

# How many of the latest notifications show which objects and fields an organization sends.
RECENT_NOTIFICATIONS = 200


def salesforce_choices(*, organization_id: int) -> SalesforceChoices:
    connections = SalesforceConnection.objects.filter(organization_id=organization_id).order_by("name", "id")
    recent = (
        SalesforceNotification.objects.filter(organization_id=organization_id, deleted=False)
        .order_by("-received_at", "-id")
        .values_list("object_type", "fields", "action_id")[:RECENT_NOTIFICATIONS]
    )
    objects: dict[str, set[str]] = {}
    actions: dict[str, str] = {}
    for object_type, fields, action_id in recent:
        objects.setdefault(object_type, set()).update(field_names(fields or {}))
        if action_id:
            actions.setdefault(action_id, object_type)
    return SalesforceChoices(
        connections=[(c.pk, c.name) for c in connections],
        objects={name: sorted(objects[name]) for name in sorted(objects, key=str.lower)},
        actions=sorted(actions.items(), key=lambda item: (item[1].lower(), item[0])),
    )


def field_names(fields: dict[str, Any], prefix: str = "", depth: int = 2) -> list[str]:
    """The names a condition can use: the record's own fields and, one level down, those
    of a related record (`Account.Name`)."""
    names = []
    for name, value in fields.items():
        if isinstance(value, dict):
            if depth > 1:
                names += field_names(value, f"{prefix}{name}.", depth - 1)
        else:
            names.append(f"{prefix}{name}")
    return names


def salesforce_record_fields(*, organization_id: int, object_id: str) -> dict[str, Any] | None:
    record = SalesforceRecord.objects.filter(organization_id=organization_id, object_id=object_id).first()
    return None if record is None else record.fields
