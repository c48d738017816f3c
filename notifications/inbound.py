"""Replies to the mails Engage sent (anymail's `inbound` signal, see receivers.py).

A reply is matched to the mail it answers by In-Reply-To / References (the Message-IDs
we sent), else by a conversation id in the address it was sent to
(`replies+<conversation uuid>@…`) or in its subject (`[ref:<conversation uuid>]`).

- Within 30 days of the conversation's last activity the reply joins the conversation
  and starts the automations listening to MESSAGE_REPLY for the contact.
- Later, it is stored for the organization (linked to the mail it answers, so people can
  read it) but joins no conversation and starts nothing: a conversation idle for a month
  is over, and an automation must not answer an old thread out of the blue.
- A reply to a mail sent outside any conversation starts one with that mail (same rules,
  counted from the mail).
- A reply that matches nothing of ours is dropped (logged): there is no organization to
  keep it for.
Each reply is stored once per (organization, Message-ID); redelivery changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from dataclasses import dataclass

from anymail.inbound import AnymailInboundMessage
from anymail.signals import AnymailInboundEvent
from django.db import IntegrityError, transaction
from django.utils import timezone

from engage.events import EventType, record_event
from notifications import conversations
from notifications.models import Conversation, InboundMessage, OutboundMessage

logger = logging.getLogger(__name__)

MESSAGE_ID = re.compile(r"<[^<>\s]+>")
UUID = r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}"
ADDRESS_ID = re.compile(rf"\+({UUID})@", re.IGNORECASE)
SUBJECT_ID = re.compile(rf"\[ref:({UUID})\]", re.IGNORECASE)


@dataclass(frozen=True)
class Match:
    conversation: Conversation | None
    answered: OutboundMessage | None

    @property
    def organization(self):
        return (self.answered or self.conversation).organization


def receive_reply(event: AnymailInboundEvent, esp_name: str) -> InboundMessage | None:
    message: AnymailInboundMessage = event.message
    match = match_reply(message)
    if match is None:
        logger.info("A reply received through %s matches no conversation of ours; dropped", esp_name)
        return None
    return store_reply(message, match, esp=esp_name.lower(), received_at=event.timestamp)


def match_reply(message: AnymailInboundMessage) -> Match | None:
    referenced = MESSAGE_ID.findall(" ".join([message.get("In-Reply-To", ""), *message.get_all("References", [])]))
    if referenced:
        answered = (
            OutboundMessage.objects.filter(message_id__in=referenced)
            .select_related("organization", "conversation", "contact")
            .order_by("-created_at")
            .first()
        )
        if answered is not None:
            return Match(answered.conversation, answered)
    for found in _conversation_ids(message):
        conversation = Conversation.objects.filter(uuid=found).select_related("organization", "contact").first()
        if conversation is not None:
            return Match(conversation, conversation.messages.order_by("-created_at").first())
    return None


def _conversation_ids(message: AnymailInboundMessage) -> list[uuid.UUID]:
    recipients = " ".join(address.addr_spec for address in [*message.to, *message.cc])
    found = ADDRESS_ID.findall(recipients + " ") + SUBJECT_ID.findall(message.subject or "")
    return [uuid.UUID(value) for value in found]


@transaction.atomic
def store_reply(message: AnymailInboundMessage, match: Match, *, esp: str, received_at=None) -> InboundMessage | None:
    """Keep the reply; join and fire only while the conversation is open. None if it was
    stored before."""
    received_at = received_at or timezone.now()
    conversation = match.conversation
    if conversation is not None and not conversations.is_open(conversation, at=received_at):
        conversation = None
    elif conversation is None and match.answered is not None:
        original_at = match.answered.sent_at or match.answered.created_at
        if received_at - original_at <= conversations.WINDOW:
            conversation = _start_conversation(match.answered, original_at)
    contact = (match.answered and match.answered.contact) or (match.conversation and match.conversation.contact)
    sender = message.from_email
    try:
        with transaction.atomic():
            reply = InboundMessage.objects.create(
                organization=match.organization,
                conversation=conversation,
                in_reply_to=match.answered,
                contact=contact,
                esp=esp,
                message_id=(message.get("Message-ID") or _fingerprint(message))[:255],
                from_email=(sender.addr_spec if sender else "")[:320],
                subject=(message.subject or "")[:400],
                text=message.text or "",
                html=message.html or "",
                headers=[[name, str(value)] for name, value in message.items()],
                received_at=received_at,
            )
    except IntegrityError:
        return None
    if conversation is not None:
        conversations.touch(conversation, at=received_at)
        if contact is not None:
            record_event(
                organization=match.organization,
                type=EventType.MESSAGE_REPLY,
                contact=contact,
                payload={
                    "conversation": str(conversation.uuid),
                    "reply_id": reply.pk,
                    "message_id": match.answered.pk if match.answered else None,
                    "from": reply.from_email,
                    "subject": reply.subject,
                },
                source="inbound",
                external_id=f"reply:{reply.pk}",
            )
    return reply


def _start_conversation(answered: OutboundMessage, original_at) -> Conversation:
    """A mail sent outside any conversation starts one when it is answered in time; the
    conversation dates from that mail, its original one (created_at is set on insert, so
    it is moved back after)."""
    conversation = Conversation.objects.create(
        organization=answered.organization,
        subject=answered.subject,
        contact=answered.contact,
        last_message_at=original_at,
    )
    Conversation.objects.filter(pk=conversation.pk).update(created_at=original_at)
    conversation.created_at = original_at
    OutboundMessage.objects.filter(pk=answered.pk, conversation__isnull=True).update(conversation=conversation)
    return conversation


def _fingerprint(message: AnymailInboundMessage) -> str:
    return "<sha256:" + hashlib.sha256(message.as_bytes()).hexdigest() + ">"
