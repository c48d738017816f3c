"""A Salesforce org that sends Outbound Messages, the notifications it sent and the latest
state of each record they described."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from contacts.models import Contact, Organization, OrganizationQuerySet
from integrations.common.models import Received, new_token


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
        UNMATCHED = "unmatched", _("processed: event fired, no contact has this address yet")
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
