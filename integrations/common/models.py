"""The models several integrations share: the URL token of an inbound address, the fields
every received notification has, and the notifications of signed webhooks and ActiveCampaign
(one table, told apart by their source)."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from contacts.models import Contact, Organization, OrganizationQuerySet


def new_token() -> str:
    return secrets.token_urlsafe(32)


class Received(models.Model):
    """What every received notification reports: the contact it concerned, the event it
    fired and what came of it (the run report of an inbound message)."""

    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    event = models.ForeignKey(
        "automations.Event", verbose_name=_("event"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    output = models.TextField(_("output / error"), blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        abstract = True


class InboundNotification(Received):
    """A notification another system sent: a signed webhook or an ActiveCampaign webhook."""

    class Source(models.TextChoices):
        WEBHOOK = "webhook", _("webhook endpoint")
        ACTIVECAMPAIGN = "activecampaign", _("ActiveCampaign")

    class Status(models.TextChoices):
        PROCESSED = "processed", _("processed: event fired")
        UNMATCHED = "unmatched", _("processed: event fired, no contact has this address yet")
        NO_CONTACT = "no_contact", _("stored: no contact named")

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    endpoint = models.ForeignKey(
        "integrations.WebhookEndpoint",
        verbose_name=_("endpoint"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    webhook_id = models.CharField(_("webhook ID"), max_length=255)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound notification")
        verbose_name_plural = _("inbound notifications")
        constraints = [
            # Each webhook-id is processed once, however often it is delivered.
            models.UniqueConstraint(fields=["organization", "source", "webhook_id"], name="inbound_notification_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.webhook_id}"
