"""Mails to contacts that the contacts app causes itself, not through an automation: the
double opt-in confirmation and "you already have an account". Both are queued in the
outbox in the transaction of the change that causes them (see engage.ports)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from contacts.models import Contact, Membership, Organization
from contacts.tokens import make_confirmation_token
from notifications.models import OutboundMessage
from notifications.services import enqueue_mail, render_mail, send_after_commit

# Sign-ups with an address that is already registered mail its owner at most this often,
# so that nobody can flood a mailbox through the sign-up form.
ALREADY_REGISTERED_INTERVAL = 3600


def portal_url(path: str) -> str:
    return f"{settings.BASE_URL}{path}"


def portal_login_url(organization: Organization) -> str:
    return portal_url(reverse("portal:login", kwargs={"slug": organization.slug}))


def queue_contact_mail(kind: str, **objects) -> OutboundMessage | None:
    """The function behind engage.ports.queue_contact_mail."""
    queue = {"confirm_subscription": queue_subscription_confirmation, "already_registered": queue_already_registered}
    return queue[kind](**objects)


def queue_subscription_confirmation(*, membership: Membership) -> OutboundMessage:
    """Ask the contact to confirm a subscription (double opt-in). The mail is owed from the
    moment the membership is pending, so it is queued in that same transaction."""
    contact, organization = membership.contact, membership.contact.organization
    link = portal_url(
        reverse("portal:confirm", kwargs={"slug": organization.slug, "token": make_confirmation_token(membership.pk)})
    )
    mail = render_mail(
        "confirm_subscription",
        {"contact": contact, "organization": organization, "group": membership.group, "link": link},
        language=contact.language,
    )
    message = enqueue_mail(organization=organization, to=contact.email, mail=mail, contact=contact)
    send_after_commit(message)
    return message


def queue_already_registered(*, contact: Contact) -> OutboundMessage | None:
    """Tell the owner of an address that somebody signed up with it again: they already
    have an account, and how to log on."""
    if not cache.add(f"already-registered:{contact.pk}", True, ALREADY_REGISTERED_INTERVAL):
        return None
    organization = contact.organization
    mail = render_mail(
        "already_registered",
        {"contact": contact, "organization": organization, "login_url": portal_login_url(organization)},
        language=contact.language,
    )
    message = enqueue_mail(organization=organization, to=contact.email, mail=mail, contact=contact)
    send_after_commit(message)
    return message
