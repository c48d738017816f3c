"""Conversations: the mails sent and the replies received about one matter.

As in Genesys Cloud, a conversation is open for 30 days after its original mail (its
`created_at`: when its first mail was accepted), however busy it is: later mails and
replies do not extend it. Within the window a mail may continue the conversation (given
its public id) and a reply joins it; after it, a reply is kept but joins nothing, and a
mail that names the conversation starts a new one, or is refused where the caller asks
for that (the agentless API). An id that is unknown or belongs to another organization
starts a new conversation.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from contacts.models import Contact, Organization
from notifications.models import Conversation

WINDOW = timedelta(days=30)


class ConversationClosed(Exception):
    """The conversation's 30 days after its original mail are over."""


def is_open(conversation: Conversation, *, at: datetime | None = None) -> bool:
    """True within 30 days after the conversation's original mail."""
    return (at or timezone.now()) - conversation.created_at <= WINDOW


def is_closed(*, organization: Organization, conversation_id: uuid.UUID) -> bool:
    """True when the organization has a conversation with this id and its 30 days are over."""
    found = Conversation.objects.filter(organization=organization, uuid=conversation_id).first()
    return found is not None and not is_open(found)


def conversation_for(
    *,
    organization: Organization,
    conversation_id: uuid.UUID | None,
    subject: str,
    contact: Contact | None = None,
    refuse_closed: bool = False,
) -> Conversation:
    """The organization's open conversation with this id, or a new one. With
    `refuse_closed`, a closed conversation raises ConversationClosed instead."""
    if conversation_id is not None:
        found = Conversation.objects.filter(organization=organization, uuid=conversation_id).first()
        if found is not None and is_open(found):
            return found
        if found is not None and refuse_closed:
            raise ConversationClosed(conversation_id)
    return Conversation.objects.create(
        organization=organization, subject=subject[:400], contact=contact, last_message_at=timezone.now()
    )


def touch(conversation: Conversation, *, at: datetime | None = None) -> None:
    """Record activity (a mail sent or a reply received); never moves the time backwards."""
    at = at or timezone.now()
    Conversation.objects.filter(pk=conversation.pk, last_message_at__lt=at).update(last_message_at=at)
    conversation.last_message_at = max(conversation.last_message_at, at)


def reply_headers(conversation: Conversation) -> dict[str, str]:
    """Headers of a mail that continues the conversation: In-Reply-To and References (the
    latest Message-IDs sent and received), so that mail programs show one thread, and
    Reply-To with the conversation's id (ENGAGE_REPLY_ADDRESS "replies@in.example.org"
    gives "replies+<uuid>@in.example.org"), so that a reply finds its conversation even
    when the mail program drops In-Reply-To."""
    headers: dict[str, str] = {}
    thread = _thread_ids(conversation)
    if thread:
        headers.update({"In-Reply-To": thread[-1], "References": " ".join(thread)})
    if settings.ENGAGE_REPLY_ADDRESS:
        local, domain = settings.ENGAGE_REPLY_ADDRESS.split("@")
        headers["Reply-To"] = f"{local}+{conversation.uuid}@{domain}"
    return headers


def _thread_ids(conversation: Conversation, *, limit: int = 10) -> list[str]:
    """The conversation's last Message-IDs, oldest first (replies without one are skipped)."""
    sent = conversation.messages.exclude(message_id="").values_list("created_at", "message_id")
    received = conversation.replies.exclude(message_id__startswith="<sha256:").values_list("received_at", "message_id")
    return [message_id for _, message_id in sorted([*sent[:50], *received[:50]])[-limit:]]
