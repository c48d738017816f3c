"""Ports: how a lower app causes something that a higher app does, without importing it.

The lower app calls the port; the higher app plugs its function in, in its
AppConfig.ready(). The function runs in the caller's transaction, so what it writes
commits, or not, with the change that caused it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured


class Port:
    def __init__(self, name: str, provided_by: str) -> None:
        self.name, self.provided_by = name, provided_by
        self._function: Callable[..., Any] | None = None

    def connect(self, function: Callable[..., Any]) -> None:
        self._function = function

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._function is None:
            raise ImproperlyConfigured(f"Nothing provides {self.name}; is {self.provided_by!r} in INSTALLED_APPS?")
        return self._function(*args, **kwargs)


# A mail to a contact that the contacts app causes itself, not through an automation
# (the double opt-in confirmation, "you already have an account"): queued in the outbox.
# Called as queue_contact_mail("confirm_subscription", membership=…) or
# queue_contact_mail("already_registered", contact=…).
queue_contact_mail = Port("queue_contact_mail", provided_by="notifications")

# A new organization was created: the apps above set up what it starts with.
organization_created = Port("organization_created", provided_by="automations")

# A contact was created one by one (not by an import): the integrations link the
# notifications that named it before it existed. Called as contact_added(contact).
contact_added = Port("contact_added", provided_by="integrations")

# Many contacts of one organization were created or changed at once, by writes that send
# no model signals (a chunk of a CSV import): the integrations queue what they sync.
# Called as contacts_changed(organization_id=…, contact_ids=[…]).
contacts_changed = Port("contacts_changed", provided_by="integrations")


# What the Salesforce integration knows, for automations bound like a Salesforce workflow
# (the automations app sits below the integrations and cannot read their tables).
@dataclass(frozen=True)
class SalesforceChoices:
    """What a marketer picks from: the organization's connections (id, name), the object
    types of its recent notifications with the field names seen in each, and the outbound
    messages (ActionId, object type) they came from."""

    connections: list[tuple[int, str]] = field(default_factory=list)
    objects: dict[str, list[str]] = field(default_factory=dict)
    actions: list[tuple[str, str]] = field(default_factory=list)


# salesforce_choices(organization_id=…) -> SalesforceChoices
salesforce_choices = Port("salesforce_choices", provided_by="integrations")

# salesforce_record_fields(organization_id=…, object_id=…) -> the latest fields Engage
# received for the record, or None if it knows no such record.
salesforce_record_fields = Port("salesforce_record_fields", provided_by="integrations")

# Due work of the apps above that the dispatcher hands to the task queue besides runs and
# mails (the ActiveCampaign sync). Each function takes a batch limit and returns how many
# tasks it started; the app registers it in its AppConfig.ready().
_due_work: list[Callable[..., int]] = []


def register_due_work(function: Callable[..., int]) -> None:
    if function not in _due_work:
        _due_work.append(function)


def due_work() -> tuple[Callable[..., int], ...]:
    return tuple(_due_work)
