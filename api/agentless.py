"""Agentless e-mail in the shape of Genesys Cloud's API
(`POST /api/v2/conversations/emails/agentless` there, `/api/v1/…` here): one mail to one
recipient from a verified sender domain, threaded by `conversationId`.

Limits (each refused with a 400 that names the field): exactly one recipient; subject at
most 400 characters; every address's local part at most 64 and display name at most 64
characters; text and HTML body together at most 3 MB (UTF-8); no attachments.
"""

from __future__ import annotations

import logging
import time
from email.headerregistry import Address

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api import ratecount
from api.serializers import StrictMixin
from contacts.models import Organization
from contacts.selectors import contact_by_email
from notifications import conversations
from notifications.domains import is_verified_sender
from notifications.models import OutboundMessage, SendQuota
from notifications.services import RenderedMail, enqueue_mail, send_after_commit

logger = logging.getLogger(__name__)

MAX_SUBJECT = 400
MAX_LOCAL_PART = 64
MAX_NAME = 64
MAX_BODY_BYTES = 3 * 1024 * 1024
WINDOW = 60  # seconds
CLOSED = _(
    "This conversation is closed: its 30 days after the original mail are over. Leave conversationId out to "
    "start a new conversation."
)


class AddressSerializer(StrictMixin, serializers.Serializer):
    email = serializers.EmailField(max_length=320)
    name = serializers.CharField(max_length=MAX_NAME, required=False, allow_blank=True, default="")

    def validate_email(self, value: str) -> str:
        if len(value.rsplit("@", 1)[0]) > MAX_LOCAL_PART:
            raise serializers.ValidationError(
                _("The part before the @ may have at most %(max)d characters.") % {"max": MAX_LOCAL_PART}
            )
        return value

    def validate_name(self, value: str) -> str:
        if "\r" in value or "\n" in value:
            raise serializers.ValidationError(_("A display name is one line."))
        return value


class AgentlessEmailSerializer(StrictMixin, serializers.Serializer):
    senderType = serializers.ChoiceField(
        choices=["Outbound"], default="Outbound", label=_("Sender type"), help_text=_("Always “Outbound”.")
    )
    fromAddress = AddressSerializer(
        label=_("From address"), help_text=_("The sender; its domain must be a verified sender domain.")
    )
    toAddresses = AddressSerializer(many=True, label=_("To addresses"), help_text=_("Exactly one recipient."))
    replyToAddress = AddressSerializer(
        required=False, label=_("Reply-to address"), help_text=_("Where replies go (optional).")
    )
    subject = serializers.CharField(max_length=MAX_SUBJECT, label=_("Subject"))
    textBody = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False, label=_("Text body"),
        help_text=_("The plain-text part."),
    )  # fmt: skip
    htmlBody = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False, label=_("HTML body"),
        help_text=_("The HTML part."),
    )  # fmt: skip
    conversationId = serializers.UUIDField(
        required=False,
        label=_("Conversation ID"),
        help_text=_(
            "Continue this conversation, within 30 days after its original mail (later it is refused; an "
            "unknown id starts a new conversation)."
        ),
    )
    attachments = serializers.ListField(
        required=False, help_text=_("Not supported: must be absent or empty."), child=serializers.DictField()
    )

    def validate_toAddresses(self, value: list) -> list:
        if len(value) != 1:
            raise serializers.ValidationError(_("Give exactly one recipient."))
        return value

    def validate_subject(self, value: str) -> str:
        if "\r" in value or "\n" in value:
            raise serializers.ValidationError(_("A subject is one line."))
        return value

    def validate_conversationId(self, value):
        if conversations.is_closed(organization=self.context["organization"], conversation_id=value):
            raise serializers.ValidationError(CLOSED)
        return value

    def validate_attachments(self, value: list) -> list:
        if value:
            raise serializers.ValidationError(_("Agentless mails carry no attachments."))
        return value

    def validate_fromAddress(self, value: dict) -> dict:
        if not is_verified_sender(self.context["organization"], value["email"]):
            raise serializers.ValidationError(
                {"email": [_("Send from an address on one of your organization's verified sender domains.")]}
            )
        return value

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        text, html = attrs.get("textBody", ""), attrs.get("htmlBody", "")
        if not text and not html:
            raise serializers.ValidationError({"textBody": [_("Give textBody, htmlBody or both.")]})
        if len(text.encode()) + len(html.encode()) > MAX_BODY_BYTES:
            field = "htmlBody" if html else "textBody"
            raise serializers.ValidationError(
                {
                    field: [
                        _("Text and HTML body together may have at most 3 MB (%(max)d bytes).")
                        % {"max": MAX_BODY_BYTES}
                    ]
                }
            )
        return attrs


class AgentlessEmailResponseSerializer(serializers.Serializer):
    id = serializers.CharField(label=_("ID"), help_text=_("The mail's id."))
    conversationId = serializers.UUIDField(label=_("Conversation ID"), help_text=_("The conversation of the mail."))
    senderType = serializers.CharField(label=_("Sender type"), help_text=_("Always “Outbound”."))
    fromAddress = AddressSerializer(label=_("From address"), help_text=_("The sender."))
    toAddresses = AddressSerializer(many=True, label=_("To addresses"), help_text=_("The recipient."))
    replyToAddress = AddressSerializer(
        required=False, label=_("Reply-to address"), help_text=_("Where replies go, if set.")
    )
    subject = serializers.CharField(label=_("Subject"))
    dateCreated = serializers.DateTimeField(label=_("Date created"), help_text=_("When the mail was accepted (UTC)."))
    selfUri = serializers.CharField(label=_("Self URI"), help_text=_("Where to read the mail's status."))
    status = serializers.CharField(help_text=_("The mail's status in the outbox (queued, sent, delivered …)."))


class RateLimited(Exception):
    def __init__(self, wait: float):
        super().__init__(wait)
        self.wait = wait


def admit(organization: Organization) -> None:
    """Count the mail against the organization's mails per minute (its sending rate limit),
    in Redis or the database (api.ratecount); raise RateLimited with the seconds until the next minute."""
    limit = (
        SendQuota.objects.filter(organization=organization).values_list("mails_per_minute", flat=True).first()
        or settings.ENGAGE_MAILS_PER_MINUTE
    )
    now = time.time()
    window = int(now // WINDOW)
    count = ratecount.hit(f"api-agentless:{organization.pk}", window)
    if count > limit:
        raise RateLimited((window + 1) * WINDOW - now)


def send_agentless(*, organization: Organization, data: dict) -> OutboundMessage:
    """Queue the mail in the outbox (in the caller's transaction) and send it once that commits."""
    sender, recipient = data["fromAddress"], data["toAddresses"][0]
    conversation = conversations.conversation_for(
        organization=organization,
        conversation_id=data.get("conversationId"),
        subject=data["subject"],
        contact=contact_by_email(organization, recipient["email"]),
        refuse_closed=True,  # checked by the serializer; this keeps the rule at the last moment too
    )
    headers = {}
    if reply_to := data.get("replyToAddress"):
        headers["Reply-To"] = formataddr((reply_to["name"], reply_to["email"]))
    message = enqueue_mail(
        organization=organization,
        to=formataddr((recipient["name"], recipient["email"])),
        mail=RenderedMail(subject=data["subject"], text=data["textBody"], html=data["htmlBody"]),
        contact=conversation.contact,
        from_email=formataddr((sender["name"], sender["email"])),
        headers=headers,
        conversation=conversation,
    )
    send_after_commit(message)
    return message


def formataddr(pair: tuple[str, str]) -> str:
    """ "Name <address>", quoted where needed (encoded for the wire only when it is sent)."""
    name, address = pair
    local, domain = address.rsplit("@", 1)
    return str(Address(display_name=name, username=local, domain=domain))
