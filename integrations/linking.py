"""Later personalisation: a notification that named no existing contact is linked to the
contact once it exists, with the records it described and the event it fired.

Called through the port `engage.ports.contact_added` whenever a contact is created one by
one (the admin, the API, the preference center, the job *add to directory*), in the same
transaction. Imports create contacts in bulk and link nothing.
"""

from __future__ import annotations

from django.db.models import Q

from automations.models import Event
from contacts.models import Contact
from integrations.common.models import InboundNotification
from integrations.salesforce.models import SalesforceNotification, SalesforceRecord
from integrations.salesforce.services import EMAIL_FIELDS


def _naming(field: str, keys: list[str], value: str) -> Q:
    named = Q(pk__in=[])
    for key in keys:
        named |= Q(**{f"{field}__{key}__iexact": value})
    return named


def link_notifications(contact: Contact) -> int:
    """Link the organization's unlinked notifications (and records, and their events) that
    name the contact's address or external reference. Returns how many notifications."""
    email, ref = contact.email.strip(), contact.external_ref.strip()
    if contact.erased_at is not None or not email:
        return 0
    salesforce = _naming("fields", list(EMAIL_FIELDS), email)
    inbound = _naming("payload", ["email", "contact__email"], email)
    if ref:
        salesforce |= Q(object_id=ref) | Q(fields__ContactId=ref)
        inbound |= Q(payload__external_ref=ref) | Q(payload__contact__external_ref=ref)
    unlinked = {"organization_id": contact.organization_id, "contact__isnull": True}
    SalesforceRecord.objects.filter(salesforce, **unlinked).update(contact=contact)
    events = set()
    linked = 0
    for model, named in ((SalesforceNotification, salesforce), (InboundNotification, inbound)):
        rows = model.objects.filter(named, status=model.Status.UNMATCHED, **unlinked)
        events.update(rows.exclude(event__isnull=True).values_list("event_id", flat=True))
        linked += rows.update(contact=contact, status=model.Status.PROCESSED)
    if events:
        Event.objects.filter(pk__in=events, contact__isnull=True).update(contact=contact)
    return linked
