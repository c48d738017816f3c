"""The notifications app's part of a contact's history (engage.history): mails with their
tracking (delivered, opened, clicked, bounced)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from contacts.models import Contact
from engage import history, notes
from engage.history import Entry
from notifications.models import OutboundMessage

TONES = {
    "sent": "good", "delivered": "good", "opened": "good", "clicked": "good",
    "failed": "bad", "bounced": "bad", "complained": "bad",
    "queued": "waiting", "sending": "busy", "suppressed": "neutral",
}  # fmt: skip


def mails(contact: Contact, limit: int) -> list[Entry]:
    rows = (
        OutboundMessage.objects.filter(contact=contact)
        .only("pk", "subject", "status", "created_at", "error")
        .prefetch_related("tracking_events")
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        Entry(
            at=message.created_at,
            kind=_("mail"),
            title=message.subject,
            url=history.admin_url(message),
            status=message.get_status_display(),
            tone=TONES.get(message.status, "neutral"),
            detail=", ".join(_tracking(message)) or notes.shown(message.error),
        )
        for message in rows
    ]


def _tracking(message: OutboundMessage) -> list[str]:
    events = sorted(message.tracking_events.all(), key=lambda event: event.occurred_at)
    return [f"{event.event_type} {event.occurred_at:%Y-%m-%d %H:%M}" for event in events]


def register() -> None:
    history.register("mails", mails)
