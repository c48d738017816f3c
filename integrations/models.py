"""Inbound integrations: where other systems tell Engage that something happened.

Each connection or endpoint belongs to one organization and is addressed by a secret URL
token; what arrives is stored before it is acknowledged and becomes an event of that
organization (SALESFORCE_MESSAGE or EXTERNAL_NOTIFICATION).
"""

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


class SalesforceConnection(models.Model):
    """A Salesforce org that sends Outbound Messages to Engage."""

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=100)
    salesforce_organization_id = models.CharField(
        _("Salesforce organization ID"),
        max_length=18,
        help_text=_("The 15- or 18-character ID of the Salesforce org (Setup → Company Information)."),
    )
    token = models.CharField(_("URL token"), max_length=64, unique=True, default=new_token, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("Salesforce connection")
        verbose_name_plural = _("Salesforce connections")

    def __str__(self) -> str:
        return self.name


class SalesforceNotification(Received):
    """One `Notification` of an Outbound Message, stored once by its Id."""

    class Status(models.TextChoices):
        PROCESSED = "processed", _("processed: event fired")
        NO_CONTACT = "no_contact", _("stored: no contact e-mail")
        OUTDATED = "outdated", _("stored: older than the data already received")

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    connection = models.ForeignKey(
        SalesforceConnection, verbose_name=_("connection"), on_delete=models.CASCADE, related_name="notifications"
    )
    notification_id = models.CharField(_("notification ID"), max_length=18)
    action_id = models.CharField(_("action ID"), max_length=18, blank=True)
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("record ID"), max_length=18)
    fields = models.JSONField(_("fields"), default=dict, blank=True)
    deleted = models.BooleanField(_("record deleted"), default=False)
    last_modified_at = models.DateTimeField(_("last modified in Salesforce"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("Salesforce notification")
        verbose_name_plural = _("Salesforce notifications")
        constraints = [
            # Salesforce redelivers for 24 h: each notification Id is stored once.
            models.UniqueConstraint(fields=["organization", "notification_id"], name="salesforce_notification_once")
        ]

    def __str__(self) -> str:
        return f"{self.object_type} {self.object_id} ({self.notification_id})"


class SalesforceRecord(models.Model):
    """The latest state Engage knows of one Salesforce record: out-of-order deliveries
    compare their LastModifiedDate with it, so older data never overwrites newer."""

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("record ID"), max_length=18)
    fields = models.JSONField(_("fields"), default=dict, blank=True)
    deleted = models.BooleanField(_("record deleted"), default=False)
    last_modified_at = models.DateTimeField(_("last modified in Salesforce"), null=True, blank=True)
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("Salesforce record")
        verbose_name_plural = _("Salesforce records")
        constraints = [
            models.UniqueConstraint(fields=["organization", "object_id"], name="salesforce_record_once"),
        ]

    def __str__(self) -> str:
        return f"{self.object_type} {self.object_id}"


class WebhookEndpoint(models.Model):
    """An address another system posts signed notifications to (Standard Webhooks)."""

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=100)
    token = models.CharField(_("URL token"), max_length=64, unique=True, default=new_token, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.name


class WebhookSecret(models.Model):
    """One signing secret of an endpoint. An endpoint has several while a secret is
    rotated: a signature made with any of them is accepted."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE, related_name="secrets"
    )
    encrypted = models.TextField(editable=False)  # engage.crypto, never the plain secret
    hint = models.CharField(_("secret"), max_length=20, editable=False)  # masked, e.g. whsec_…Xk9=
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("signing secret")
        verbose_name_plural = _("signing secrets")

    def __str__(self) -> str:
        return self.hint


class ActiveCampaignConnection(models.Model):
    """An organization's ActiveCampaign account: called by the job "start external
    automation", and sending its webhooks to Engage."""

    organization = models.OneToOneField(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="activecampaign"
    )
    api_url = models.URLField(_("API URL"), help_text=_("Your account's API address, e.g. https://example.api-us1.com"))
    api_key_encrypted = models.TextField(editable=False)
    webhook_token = models.CharField(
        _("webhook URL token"), max_length=64, unique=True, default=new_token, editable=False
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("ActiveCampaign connection")
        verbose_name_plural = _("ActiveCampaign connections")

    def __str__(self) -> str:
        return self.api_url


class InboundNotification(Received):
    """A notification another system sent: a signed webhook or an ActiveCampaign webhook."""

    class Source(models.TextChoices):
        WEBHOOK = "webhook", _("webhook endpoint")
        ACTIVECAMPAIGN = "activecampaign", _("ActiveCampaign")

    class Status(models.TextChoices):
        PROCESSED = "processed", _("processed: event fired")
        NO_CONTACT = "no_contact", _("stored: no contact named")

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    endpoint = models.ForeignKey(
        WebhookEndpoint,
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
