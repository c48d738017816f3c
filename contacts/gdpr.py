"""The data-protection rights of a contact: a copy of everything we hold (Art. 15/20 GDPR)
and erasure (Art. 17) that keeps statistics but nothing that identifies the person."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from automations.models import Event, Run
from contacts.models import ConsentRecord, Contact, LoginFailure, Membership, Suppression
from notifications.models import Conversation, InboundMessage, OutboundMessage, TrackingEvent


def export_contact(contact: Contact) -> dict[str, Any]:
    """Everything Engage stores about one contact, as JSON-ready data."""
    return {
        "contact": {
            "id": contact.pk,
            "organization": contact.organization.name,
            "email": contact.email,
            "salutation": contact.salutation,
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "phone": contact.phone,
            "language": contact.language,
            "external_reference": contact.external_ref,
            "attributes": contact.attributes,
            "has_preference_center_password": bool(contact.password),
            "created_at": contact.created_at.isoformat(),
            "updated_at": contact.updated_at.isoformat(),
        },
        "tags": sorted(contact.tags.values_list("name", flat=True)),
        "groups": [
            {"group": m.group.name, "state": m.state, "reason": m.reason, "changed_at": m.changed_at.isoformat()}
            for m in contact.memberships.select_related("group").order_by("group__name")
        ],
        "transactions": [
            {"type": t.type, "data": t.data, "occurred_at": t.occurred_at.isoformat()}
            for t in contact.transactions.order_by("occurred_at")
        ],
        "consents": [
            {
                "action": c.action,
                "group": c.group.name if c.group else None,
                "ip_address": c.ip_address,
                "source": c.source,
                "text": c.text,
                "at": c.at.isoformat(),
            }
            for c in contact.consents.select_related("group").order_by("at")
        ],
        "events": [
            {"type": e.type, "payload": e.payload, "source": e.source, "occurred_at": e.occurred_at.isoformat()}
            for e in Event.objects.filter(contact=contact).order_by("occurred_at")
        ],
        "messages": [
            {"subject": m.subject, "status": m.status, "sent_at": m.sent_at.isoformat() if m.sent_at else None}
            for m in OutboundMessage.objects.filter(contact=contact).order_by("created_at")
        ],
        "message_tracking": [
            {"type": t.event_type, "url": t.url, "occurred_at": t.occurred_at.isoformat()}
            for t in TrackingEvent.objects.filter(message__contact=contact).order_by("occurred_at")
        ],
        "replies": [
            {"from": r.from_email, "subject": r.subject, "text": r.text, "received_at": r.received_at.isoformat()}
            for r in InboundMessage.objects.filter(contact=contact).order_by("received_at")
        ],
        "suppressed": list(
            Suppression.objects.filter(
                organization_id=contact.organization_id, address=contact.email.lower()
            ).values_list("reason", flat=True)
        ),
    }


@transaction.atomic
def erase_contact(contact: Contact) -> None:
    """Remove every personal detail. What remains (events, runs, messages, memberships,
    consent records) keeps its counts and times for statistics, tied to an anonymous
    contact that can no longer receive mail or log in."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    old_email = contact.email
    contact.email = f"erased-{contact.pk}@erased.invalid"
    contact.salutation = contact.first_name = contact.last_name = contact.phone = contact.external_ref = ""
    contact.attributes = {}
    contact.password = ""
    contact.erased_at = timezone.now()
    contact.save()
    contact.tags.clear()
    contact.transactions.update(data={})
    Membership.objects.filter(contact=contact).update(state=Membership.State.UNSUBSCRIBED, reason="")
    ConsentRecord.objects.filter(contact=contact).update(ip_address=None, text="")
    Event.objects.filter(contact=contact).update(payload={})
    Run.objects.filter(contact=contact).update(input={}, output={})
    OutboundMessage.objects.filter(contact=contact).update(
        recipient=contact.email, subject="", text_body="", html_body="", error=""
    )
    TrackingEvent.objects.filter(message__contact=contact).update(raw={}, url="", description="")
    InboundMessage.objects.filter(contact=contact).update(
        from_email=contact.email, subject="", text="", html="", headers=[]
    )
    Conversation.objects.filter(contact=contact).update(subject="")
    LoginFailure.objects.filter(organization_id=contact.organization_id, email=old_email.lower()).delete()
