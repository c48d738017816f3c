"""The personal data the notifications app holds about a contact: its mails, their
tracking, its replies and conversations (see engage.personal_data)."""

from __future__ import annotations

from typing import Any

from engage import personal_data
from notifications.models import Conversation, InboundMessage, OutboundMessage, SendoutRecipient, TrackingEvent


def _export_messages(contact) -> list[dict[str, Any]]:
    return [
        {"subject": m.subject, "status": m.status, "sent_at": m.sent_at.isoformat() if m.sent_at else None}
        for m in OutboundMessage.objects.filter(contact=contact).order_by("created_at")
    ]


def _erase_messages(contact, email: str) -> None:
    OutboundMessage.objects.filter(contact=contact).update(
        recipient=contact.email, subject="", text_body="", html_body="", error="", headers={}, secret_values=""
    )


def _export_tracking(contact) -> list[dict[str, Any]]:
    return [
        {"type": t.event_type, "url": t.url, "occurred_at": t.occurred_at.isoformat()}
        for t in TrackingEvent.objects.filter(message__contact=contact).order_by("occurred_at")
    ]


def _export_replies(contact) -> list[dict[str, Any]]:
    return [
        {"from": r.from_email, "subject": r.subject, "text": r.text, "received_at": r.received_at.isoformat()}
        for r in InboundMessage.objects.filter(contact=contact).order_by("received_at")
    ]


def _export_sendouts(contact) -> list[dict[str, Any]]:
    return [
        {"sendout": name, "status": status}
        for name, status in SendoutRecipient.objects.filter(contact=contact)
        .order_by("pk")
        .values_list("sendout__name", "status")
    ]


def register() -> None:
    personal_data.register(
        "messages",
        OutboundMessage,
        fields=("text_body", "html_body", "error", "headers", "secret_values"),
        export=_export_messages,
        erase=_erase_messages,
    )
    personal_data.register(
        "message_tracking",
        TrackingEvent,
        fields=("raw", "url", "description"),
        export=_export_tracking,
        erase=lambda contact, email: TrackingEvent.objects.filter(message__contact=contact).update(
            raw={}, url="", description=""
        ),
    )
    personal_data.register(
        "replies",
        InboundMessage,
        fields=("text", "html", "headers"),
        export=_export_replies,
        erase=lambda contact, email: InboundMessage.objects.filter(contact=contact).update(
            from_email=contact.email, subject="", text="", html="", headers=[]
        ),
    )
    personal_data.register(
        "conversations",
        Conversation,
        fields=(),
        export=lambda contact: list(Conversation.objects.filter(contact=contact).values_list("subject", flat=True)),
        erase=lambda contact, email: Conversation.objects.filter(contact=contact).update(subject=""),
    )
    personal_data.register(
        "group_sendouts",
        SendoutRecipient,
        fields=(),
        export=_export_sendouts,
        # The rows hold nothing but which newsletters the contact was sent; they stay so that
        # a sendout still running never sends the contact a second mail (its mail is erased
        # with the contact's other messages above).
        erase=lambda contact, email: None,
        kept={"status": "which newsletters were sent, so that none is sent twice"},
    )
