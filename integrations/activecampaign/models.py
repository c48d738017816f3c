"""An organization's ActiveCampaign account."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from contacts.models import Organization, OrganizationQuerySet
from engage import crypto
from integrations.common.models import new_token


class ActiveCampaignConnection(models.Model):
    """An organization's ActiveCampaign account: called by the job "start external
    automation", and sending its webhooks to Engage."""

    organization = models.OneToOneField(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="activecampaign"
    )
    api_url = models.URLField(_("API URL"), help_text=_("Your account's API address, e.g. https://example.api-us1.com"))
    api_key_encrypted = crypto.EncryptedTextField(editable=False)
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
