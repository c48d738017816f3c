"""What the ActiveCampaign integration holds about a contact, and erasure there: an erased
contact's sync row comes due at once, and the worker deletes the contact in ActiveCampaign
(it sees the contact's erased_at)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from engage import personal_data
from integrations.activecampaign.models import Activity, ContactSync, SyncState


def _export_sync(contact: Any) -> list[dict[str, Any]]:
    return [
        {"activecampaign_id": row.remote_id, "status": row.status, "tags": sorted(row.remote_tags)}
        for row in ContactSync.objects.filter(contact=contact)
    ]


def _erase_sync(contact: Any, email: str) -> None:
    ContactSync.objects.filter(contact=contact).exclude(status=SyncState.SYNCING).update(
        status=SyncState.PENDING, due_at=timezone.now(), priority=ContactSync.Priority.CHANGE, error="", attempts=0
    )
    ContactSync.objects.filter(contact=contact).update(error="")


def _export_activities(contact: Any) -> list[dict[str, Any]]:
    return [
        {"type": a.planning_type.name, "status": a.status, "recorded_at": a.created_at.isoformat()}
        for a in Activity.objects.filter(contact=contact).select_related("planning_type")
    ]


def register() -> None:
    personal_data.register(
        "activecampaign_sync",
        ContactSync,
        fields=("error",),
        export=_export_sync,
        erase=_erase_sync,
        kept={"remote_tags": "tag names of the organization, not about the person", "remote_lists": "list ids"},
    )
    personal_data.register(
        "activecampaign_activities",
        Activity,
        fields=("error",),
        export=_export_activities,
        erase=lambda contact, email: Activity.objects.filter(contact=contact).update(error=""),
    )
