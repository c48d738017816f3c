"""The catalogue of events an automation can react to, and the port through which every
app records them.

Each event has a scope: K (it happens to a contact), S (it happens to a system user or to
the system), or both. An automation may only combine an event with a job of the same scope.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from django.db import models
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from engage.ports import Port


class Scope(models.TextChoices):
    CONTACT = "K", _("Contact (K)")
    SYSTEM = "S", _("System (S)")


class EventType(models.TextChoices):
    # Contact (K)
    CONTACT_CREATED = "contact_created", _("Contact created")
    REGISTERED = "registered", _("Registered")
    PROFILE_CHANGED = "profile_changed", _("Profile data changed")
    MEMBER_ADDED = "member_added", _("Member added to group")
    MEMBER_REMOVED = "member_removed", _("Member removed from group")
    SUBSCRIBED = "subscribed", _("Subscribed to group")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed from group")
    PASSWORD_REQUESTED = "password_requested", _("Contact requested a password")
    PORTAL_LOGIN = "portal_login", _("Logged on to preference center")
    MESSAGE_SENT = "message_sent", _("Message sent")
    MESSAGE_OPENED = "message_opened", _("Message opened")
    MESSAGE_CLICKED = "message_clicked", _("Message link clicked")
    MESSAGE_BOUNCED = "message_bounced", _("Message bounced")
    MESSAGE_REPLY = "message_reply", _("Message reply received")
    EXTERNAL_NOTIFICATION = "external_notification", _("External notification received")
    SALESFORCE_MESSAGE = "salesforce_message", _("Salesforce outbound message received")
    CUSTOM = "custom", _("Custom API event (named by the integrator)")
    # System (S)
    SYSTEM_USER_CREATED = "system_user_created", _("System user created")
    SYSTEM_USER_LOGGED_ON = "system_user_logged_on", _("System user logged on")
    CONTACT_IMPORT_FINISHED = "contact_import_finished", _("Contact import finished")
    GROUP_CREATED = "group_created", _("Group created")
    SENDOUT_STARTED = "sendout_started", _("Group sendout started")
    SENDOUT_FINISHED = "sendout_finished", _("Group sendout finished")
    # Both (S/K)
    AUTOMATION_FINISHED = "automation_finished", _("Automation finished")
    MANUAL = "manual", _("Manual")


K = frozenset({Scope.CONTACT})
S = frozenset({Scope.SYSTEM})
SK = K | S
SCOPES: dict[str, frozenset[str]] = {
    EventType.CONTACT_CREATED: K,
    EventType.REGISTERED: K,
    EventType.PROFILE_CHANGED: K,
    EventType.MEMBER_ADDED: K,
    EventType.MEMBER_REMOVED: K,
    EventType.SUBSCRIBED: K,
    EventType.UNSUBSCRIBED: K,
    EventType.PASSWORD_REQUESTED: K,
    EventType.PORTAL_LOGIN: K,
    EventType.MESSAGE_SENT: K,
    EventType.MESSAGE_OPENED: K,
    EventType.MESSAGE_CLICKED: K,
    EventType.MESSAGE_BOUNCED: K,
    EventType.MESSAGE_REPLY: K,
    EventType.EXTERNAL_NOTIFICATION: K,
    EventType.SALESFORCE_MESSAGE: K,
    EventType.CUSTOM: K,
    EventType.SYSTEM_USER_CREATED: S,
    EventType.SYSTEM_USER_LOGGED_ON: S,
    EventType.CONTACT_IMPORT_FINISHED: S,
    EventType.GROUP_CREATED: S,
    EventType.SENDOUT_STARTED: S,
    EventType.SENDOUT_FINISHED: S,
    EventType.AUTOMATION_FINISHED: SK,
    EventType.MANUAL: SK,
}


def scopes_of(event_type: str) -> frozenset[str]:
    return SCOPES.get(event_type, frozenset())


def scope_label(scopes: frozenset[str]) -> str:
    return "/".join(sorted(str(s) for s in scopes))


# The event port. Every app records events through `record_event` / `record_events`;
# the automations app registers the handler that stores them and schedules their runs
# (in its AppConfig.ready()), so lower apps never import it. The handler runs inside the
# caller's transaction: an event and the runs it starts commit together.


@dataclass
class NewEvent:
    """One event to record. `contact` is a contacts.Contact, `user` a contacts.User."""

    type: str
    contact: Model | None = None
    user: Model | None = None
    payload: dict[str, Any] | None = None
    source: str = "api"
    external_id: str | None = None
    occurred_at: datetime | None = None
    name: str = ""
    scope: str | None = None
    chain_depth: int = 0


class EventHandler(Protocol):
    def __call__(self, *, organization: Model, events: Sequence[NewEvent]) -> list[tuple[Model, bool]]: ...


_handler = Port("record_events", provided_by="automations")


_listened = Port("listened", provided_by="automations")


def register_handler(handler: EventHandler, *, listened: Callable[..., bool]) -> None:
    _handler.connect(handler)
    _listened.connect(listened)


def listened(*, organization_id: int, type: str) -> bool:
    """Whether an active automation of the organization starts on events of `type`: an
    app that would record one event per mail asks first (read once per batch)."""
    return _listened(organization_id=organization_id, type=type)


def record_events(*, organization: Model, events: Sequence[NewEvent]) -> list[tuple[Model, bool]]:
    """Store events of one organization and start what listens to them.

    Returns (event, created) per event, in order. An event whose (source, external_id) is
    already stored, or appears earlier in the same call, is returned as it is and starts
    nothing again.
    """
    return _handler(organization=organization, events=events)


def record_event(
    *,
    organization: Model,
    type: str,
    contact: Model | None = None,
    user: Model | None = None,
    scope: str | None = None,
    payload: dict[str, Any] | None = None,
    source: str = "engage",
    external_id: str | None = None,
    occurred_at: datetime | None = None,
    name: str = "",
    chain_depth: int = 0,
) -> tuple[Model, bool]:
    """Record one event: `record_events` with a single item."""
    event = NewEvent(
        type=type,
        contact=contact,
        user=user,
        payload=payload,
        source=source,
        external_id=external_id,
        occurred_at=occurred_at,
        name=name,
        scope=scope,
        chain_depth=chain_depth,
    )
    return record_events(organization=organization, events=[event])[0]
