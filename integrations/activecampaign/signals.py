"""Django's model signals adapted into the sync queue: a change to a contact's fields, tags
or group memberships, however it was made (admin, API, preference center, services), marks
the contact for the next push. A CSV import writes in bulk, without signals, and queues
its contacts once per chunk instead (engage.ports.contacts_changed)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from contacts.models import Contact, Membership
from integrations.activecampaign import services


def _contact_saved(sender: type, instance: Contact, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        services.queue_contact_sync(contact=instance)


def _tags_changed(sender: type, instance: Any, action: str, reverse: bool, pk_set: set | None, **kwargs: Any) -> None:
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if not reverse:
        services.queue_contact_sync(contact=instance)
    elif pk_set:
        services.contact_changed(sorted(pk_set))


def _membership_changed(sender: type, instance: Membership, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        services.contact_changed([instance.contact_id])


def connect() -> None:
    post_save.connect(_contact_saved, sender=Contact, dispatch_uid="activecampaign_contact")
    m2m_changed.connect(_tags_changed, sender=Contact.tags.through, dispatch_uid="activecampaign_tags")
    post_save.connect(_membership_changed, sender=Membership, dispatch_uid="activecampaign_membership")
    post_delete.connect(_membership_changed, sender=Membership, dispatch_uid="activecampaign_membership_gone")
