"""The catalogue of events an automation can react to.

Each event has a scope: K (it happens to a contact), S (it happens to a system user or to
the system), or both. An automation may only combine an event with a job of the same scope.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    CONTACT = "K", _("Contact (K)")
    SYSTEM = "S", _("System (S)")


class EventType(models.TextChoices):
    CONTACT_CREATED = "contact_created", _("Contact created")
    PASSWORD_REQUESTED = "password_requested", _("Contact requested a password")
    SYSTEM_USER_CREATED = "system_user_created", _("System user created")
    MANUAL = "manual", _("Manual")


SCOPES: dict[str, frozenset[str]] = {
    EventType.CONTACT_CREATED: frozenset({Scope.CONTACT}),
    EventType.PASSWORD_REQUESTED: frozenset({Scope.CONTACT}),
    EventType.SYSTEM_USER_CREATED: frozenset({Scope.SYSTEM}),
    EventType.MANUAL: frozenset({Scope.CONTACT, Scope.SYSTEM}),
}


def scopes_of(event_type: str) -> frozenset[str]:
    return SCOPES.get(event_type, frozenset())


def scope_label(scopes: frozenset[str]) -> str:
    return "/".join(sorted(str(s) for s in scopes))
