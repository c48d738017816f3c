"""Mails the contacts app sends itself (not through an automation)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse

from contacts.models import Contact, Membership, Organization
from contacts.tokens import make_confirmation_token
from notifications.services import deliver, enqueue_mail, render_mail, send_mail

# Sign-ups with an address that is already registered mail its owner at most this often,
# so that nobody can flood a mailbox through the sign-up form.
ALREADY_REGISTERED_INTERVAL = 3600


def portal_url(path: str) -> str:
    return f"{settings.BASE_URL}{path}"


def portal_login_url(organization: Organization) -> str:
    return portal_url(reverse("portal:login", kwargs={"slug": organization.slug}))


def send_subscription_confirmation(membership_id: int) -> None:
    membership = Membership.objects.select_related("contact__organization", "group").get(pk=membership_id)
    if membership.state != Membership.State.PENDING:
        return  # confirmed or withdrawn meanwhile: nothing to ask
    contact, organization = membership.contact, membership.contact.organization
    link = portal_url(
        reverse("portal:confirm", kwargs={"slug": organization.slug, "token": make_confirmation_token(membership.pk)})
    )
    mail = render_mail(
        "confirm_subscription",
        {"contact": contact, "organization": organization, "group": membership.group, "link": link},
        language=contact.language,
    )
    send_mail(organization=organization, to=contact.email, mail=mail, contact=contact)


def queue_already_registered(contact: Contact) -> None:
    """Tell the owner of an address that somebody signed up with it again: they already
    have an account, and how to log on. Queued in the caller's transaction."""
    if not cache.add(f"already-registered:{contact.pk}", True, ALREADY_REGISTERED_INTERVAL):
        return
    organization = contact.organization
    mail = render_mail(
        "already_registered",
        {"contact": contact, "organization": organization, "login_url": portal_login_url(organization)},
        language=contact.language,
    )
    message = enqueue_mail(organization=organization, to=contact.email, mail=mail, contact=contact)
    transaction.on_commit(lambda: deliver([message.pk]))
