"""The preference center's session: which contact is logged in to which organization's
pages. The password check and the lockout are contacts.logins.

A login starts a new session id (no fixation).
"""

from __future__ import annotations

from django.http import HttpRequest

from contacts.models import Contact, Organization


def session_key(organization: Organization) -> str:
    return f"portal:{organization.pk}"


def start_session(request: HttpRequest, contact: Contact) -> None:
    request.session.cycle_key()
    request.session[session_key(contact.organization)] = contact.pk


def log_out(request: HttpRequest) -> None:
    request.session.flush()


def current_contact(request: HttpRequest, organization: Organization) -> Contact | None:
    contact_id = request.session.get(session_key(organization))
    if contact_id is None:
        return None
    return Contact.objects.filter(organization=organization, pk=contact_id).first()
