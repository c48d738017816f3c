"""Contacts' logins to the preference center: password check and lockout.

- After MAX_FAILURES failed logins for one address within FAILURE_WINDOW, that address is
  locked for LOCKOUT after each further failure; an IP address that fails IP_MAX_FAILURES
  times within IP_WINDOW is locked as well. Failures are rows in the database, so every
  web process on every machine counts the same.
- An unknown address, a contact without a password and a wrong password give the same
  answer after the same Argon2 work, so the form does not tell who is a contact.
- A successful login clears the address's failures and fires *logged on to preference
  center*. A new password (reset mail or a change) clears them too: whoever received the
  reset mail may log in with it at once. The session is the preference center's business (portal.auth).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import cache

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone

from contacts.models import Contact, LoginFailure, Organization
from contacts.selectors import contact_by_email
from engage.events import EventType, record_event

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(hours=24)
LOCKOUT = timedelta(minutes=20)
IP_MAX_FAILURES = 30
IP_WINDOW = timedelta(hours=1)


class LockedOut(Exception):
    """Too many failures: no password is checked until the lock ends."""


@cache
def _dummy_hash() -> str:
    return make_password(secrets.token_urlsafe(16))


def is_locked(organization: Organization, email: str, ip_address: str | None) -> bool:
    now = timezone.now()
    failures = LoginFailure.objects.filter(organization=organization, email=email.lower(), at__gte=now - FAILURE_WINDOW)
    recent = list(failures.order_by("-at").values_list("at", flat=True)[:MAX_FAILURES])
    if len(recent) >= MAX_FAILURES and recent[0] > now - LOCKOUT:
        return True
    if ip_address:
        from_ip = LoginFailure.objects.filter(ip_address=ip_address, at__gte=now - IP_WINDOW).count()
        if from_ip >= IP_MAX_FAILURES:
            return True
    return False


@transaction.atomic
def log_in(
    *, organization: Organization, email: str, password: str, ip_address: str | None, source: str = "portal"
) -> Contact | None:
    """The contact whose address and password these are, or None (the failure is counted).
    Raises LockedOut."""
    if is_locked(organization, email, ip_address):
        raise LockedOut
    contact = contact_by_email(organization, email)
    stored = contact.password if contact is not None and contact.password else _dummy_hash()
    valid = check_password(password, stored) and contact is not None and bool(contact.password)
    if not valid:
        LoginFailure.objects.create(organization=organization, email=email.strip().lower()[:254], ip_address=ip_address)
        return None
    LoginFailure.objects.filter(organization=organization, email=contact.email.lower()).delete()
    record_event(organization=organization, type=EventType.PORTAL_LOGIN, contact=contact, source=source)
    return contact


def lift_lockout(contact: Contact) -> None:
    """Forget the failed logins of the contact's address (its password was just replaced)."""
    LoginFailure.objects.filter(organization_id=contact.organization_id, email=contact.email.strip().lower()).delete()


def purge_old_failures() -> int:
    cutoff = timezone.now() - max(FAILURE_WINDOW, IP_WINDOW)
    deleted, _ = LoginFailure.objects.filter(at__lt=cutoff).delete()
    return deleted
