"""Webhook endpoints and their signing secrets."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from contacts.models import Organization, OrganizationQuerySet
from engage import crypto
from integrations.common.models import new_token


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
    encrypted = crypto.EncryptedTextField(editable=False)  # never the plain secret
    hint = models.CharField(_("secret"), max_length=20, editable=False)  # masked, e.g. whsec_…Xk9=
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("signing secret")
        verbose_name_plural = _("signing secrets")

    def __str__(self) -> str:
        return self.hint
