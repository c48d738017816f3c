"""Mails the contacts app sends itself (not through an automation)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from contacts.models import Membership, Organization
from contacts.tokens import make_confirmation_token
from notifications.services import render_mail, send_mail


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
