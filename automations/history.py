"""The automations app's part of a contact's history (engage.history): events and runs."""

from __future__ import annotations

from django.utils.translation import gettext as _

from automations.models import Event, Run
from contacts.models import Contact
from engage import history, notes
from engage.history import Entry

RUN_TONES = {"succeeded": "good", "failed": "bad", "scheduled": "waiting", "running": "busy", "skipped": "neutral"}


def events(contact: Contact, limit: int) -> list[Entry]:
    rows = Event.objects.filter(contact=contact).order_by("-occurred_at", "-id")[:limit]
    return [
        Entry(at=event.occurred_at, kind=_("event"), title=event.get_type_display(), url=history.admin_url(event))
        for event in rows
    ]


def runs(contact: Contact, limit: int) -> list[Entry]:
    rows = Run.objects.filter(contact=contact).select_related("automation").order_by("-created_at", "-id")[:limit]
    return [
        Entry(
            at=run.created_at,
            kind=_("run"),
            title=run.automation.name,
            url=history.admin_url(run),
            status=run.get_status_display(),
            tone=RUN_TONES.get(run.status, "neutral"),
            detail=notes.shown(run.error),
        )
        for run in rows
    ]


def register() -> None:
    history.register("events", events)
    history.register("runs", runs)
