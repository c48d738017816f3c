"""What happened to a mail after it left: delivered, opened, clicked, bounced, complained.

Events come from the providers' webhooks (anymail's `tracking` signal, see receivers.py)
and from Engage's own open pixel and click redirects (see linktracking.py). Each event is
kept once per (reporter, event id) with its raw payload; replays change nothing.

Reports are accepted whatever their age: providers retry for hours, and a bounce delayed by
an outage must still suppress the address. Replay protection comes from the webhook's
authentication (basic auth, the provider's signature) and the event id, not the clock.

A message's status only moves forward along models.TRACKING_ORDER, whatever order the
events arrive in. Hard bounces, complaints and unsubscribes put the address on the
organization's suppression list. Opens, clicks and bounces start the automations
listening to MESSAGE_OPENED / MESSAGE_CLICKED / MESSAGE_BOUNCED, once each: an open once
per message (whoever reports it), a click once per message and link, a bounce once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from anymail.signals import AnymailTrackingEvent, RejectReason
from django.db import IntegrityError, transaction
from django.utils import timezone

from contacts.models import Suppression
from contacts.suppression import normalize, suppress
from engage.events import EventType, record_event
from notifications.models import TRACKING_ORDER, OutboundMessage, TrackingEvent
from notifications.services import METADATA_KEY

logger = logging.getLogger(__name__)

ENGAGE = "engage"  # the reporter of our own pixel and redirects


@dataclass(frozen=True)
class Effect:
    status: str | None = None
    suppress: str | None = None
    automation: str | None = None


Status = OutboundMessage.Status
EFFECTS: dict[str, Effect] = {
    "delivered": Effect(Status.DELIVERED),
    "opened": Effect(Status.OPENED, automation=EventType.MESSAGE_OPENED),
    "clicked": Effect(Status.CLICKED, automation=EventType.MESSAGE_CLICKED),
    "bounced": Effect(Status.BOUNCED, Suppression.Reason.HARD_BOUNCE, EventType.MESSAGE_BOUNCED),
    "complained": Effect(Status.COMPLAINED, Suppression.Reason.COMPLAINT),
    "unsubscribed": Effect(suppress=Suppression.Reason.UNSUBSCRIBE),
}


def advance_status(message: OutboundMessage, status: str) -> bool:
    """Move the message to `status` unless it is there or further already."""
    earlier = [Status.SENDING, *TRACKING_ORDER[: TRACKING_ORDER.index(status)]]
    return bool(OutboundMessage.objects.filter(pk=message.pk, status__in=earlier).update(status=status))


@transaction.atomic
def record_tracking(
    *,
    message: OutboundMessage,
    esp: str,
    event_id: str,
    event_type: str,
    occurred_at: datetime | None = None,
    url: str = "",
    description: str = "",
    raw: Any = None,
) -> TrackingEvent | None:
    """Record one event about a sent message and apply its effects, once. Returns None
    when this (esp, event_id) was recorded before."""
    try:
        with transaction.atomic():
            tracked = TrackingEvent.objects.create(
                organization_id=message.organization_id,
                message=message,
                esp=esp,
                event_id=event_id[:255],
                event_type=event_type,
                url=url or "",
                description=(description or "")[:2000],
                occurred_at=occurred_at or timezone.now(),
                raw=_jsonable(raw),
            )
    except IntegrityError:
        return None
    effect = EFFECTS.get(event_type, Effect())
    if effect.status:
        advance_status(message, effect.status)
    if effect.suppress:
        suppress(organization=message.organization, address=message.recipient, reason=effect.suppress, note=esp)
    if effect.automation and message.contact_id:
        _fire(message, effect.automation, url=url)
    return tracked


def _fire(message: OutboundMessage, type: str, *, url: str) -> None:
    payload: dict[str, Any] = {"message_id": message.pk, "subject": message.subject}
    key = f"{message.pk}:{type}"
    if url:
        payload["url"] = url
        key += ":" + hashlib.sha256(url.encode()).hexdigest()[:32]
    record_event(
        organization=message.organization,
        type=type,
        contact=message.contact,
        payload=payload,
        source="tracking",
        external_id=key,
    )


# --- Provider webhooks (anymail) -------------------------------------------------------
def process_anymail_event(event: AnymailTrackingEvent, esp_name: str) -> TrackingEvent | None:
    """Adapt one normalized provider event; None if it is not ours or a replay."""
    esp = esp_name.lower()
    message = find_message(event)
    if message is None:
        logger.info("A %s %s event names no message of ours", esp_name, event.event_type)
        return None
    return record_tracking(
        message=message,
        esp=esp,
        event_id=event.event_id or _fingerprint(event.esp_event),
        event_type=_event_type(event, esp),
        occurred_at=event.timestamp,
        url=event.click_url or "",
        description=event.description or event.mta_response or "",
        raw=event.esp_event,
    )


def find_message(event: AnymailTrackingEvent) -> OutboundMessage | None:
    """By the Message-ID we sent as metadata, else by the provider's message id; either
    way the recipient must be the message's, so that an event can only ever touch the
    mail it is about (a forged or mixed-up id never reaches another organization's)."""
    ours = (event.metadata or {}).get(METADATA_KEY)
    if ours:
        candidates = OutboundMessage.objects.filter(message_id=ours)
    elif event.message_id:
        candidates = OutboundMessage.objects.filter(provider_message_id=event.message_id)
    else:
        return None
    candidates = list(candidates.select_related("organization", "contact")[:2])
    if len(candidates) != 1:
        return None
    [message] = candidates
    if event.recipient and normalize(event.recipient) != normalize(message.recipient):
        return None
    return message


# Bounces anymail reports as "bounced" that are not final: the address may work tomorrow.
SOFT_BOUNCES = {"postmark": {"SoftBounce", "VirusNotification"}, "sparkpost": {"20", "21", "22", "23", "24", "70"}}


def _event_type(event: AnymailTrackingEvent, esp: str) -> str:
    """Our event type: anymail's, with soft bounces as "deferred" and rejections by the
    reason the provider gave (a known-bad address counts as a hard bounce)."""
    if event.event_type == "rejected":
        return {
            RejectReason.BOUNCED: "bounced",
            RejectReason.INVALID: "bounced",
            RejectReason.SPAM: "complained",
            RejectReason.UNSUBSCRIBED: "unsubscribed",
        }.get(event.reject_reason, "rejected")
    if event.event_type == "bounced" and _is_soft(event, esp):
        return "deferred"
    return event.event_type


def _is_soft(event: AnymailTrackingEvent, esp: str) -> bool:
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    if esp == "postmark":
        return raw.get("Type") in SOFT_BOUNCES["postmark"]
    if esp == "sparkpost":
        inner = next(iter((raw.get("msys") or {}).values()), {})
        return str(inner.get("bounce_class")) in SOFT_BOUNCES["sparkpost"]
    return event.reject_reason not in {RejectReason.BOUNCED, RejectReason.INVALID, None}


def _fingerprint(raw: Any) -> str:
    """An id for events the provider gives none (Postmark opens): the payload's hash."""
    return "sha256:" + hashlib.sha256(json.dumps(_jsonable(raw), sort_keys=True).encode()).hexdigest()


def _jsonable(raw: Any) -> Any:
    if raw is None:
        return {}
    if hasattr(raw, "lists"):  # a QueryDict (form-encoded webhooks)
        return {key: values if len(values) > 1 else values[0] for key, values in raw.lists()}
    try:
        return json.loads(json.dumps(raw, default=str))
    except (TypeError, ValueError):
        return {"repr": repr(raw)}
