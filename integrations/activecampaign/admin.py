from __future__ import annotations

import re

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from contacts.tenancy import OrganizationScopedAdmin
from engage import crypto
from integrations.activecampaign.models import ActiveCampaignConnection
from integrations.common.admin import copyable_url

ACTIVECAMPAIGN_URL = re.compile(r"^https://[a-z0-9-]+\.(api-us\d+\.com|activehosted\.com)/?$")


class ActiveCampaignConnectionForm(forms.ModelForm):
    api_url = forms.URLField(
        label=_("API URL"), assume_scheme="https", help_text=_("Settings → Developer, e.g. https://example.api-us1.com")
    )
    api_key = forms.CharField(
        label=_("API key"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Settings → Developer in ActiveCampaign. Stored encrypted and never shown again."),
    )

    class Meta:
        model = ActiveCampaignConnection
        fields = ["api_url", "api_key", "is_active"]

    def clean_api_url(self) -> str:
        url = self.cleaned_data["api_url"].strip()
        if not ACTIVECAMPAIGN_URL.match(url):
            raise forms.ValidationError(_("Enter your account's API URL, e.g. https://example.api-us1.com"))
        return url.rstrip("/")

    def clean_api_key(self) -> str:
        key = self.cleaned_data["api_key"].strip()
        if not key and not self.instance.api_key_encrypted:
            raise forms.ValidationError(_("Enter the API key."))
        return key

    def save(self, commit: bool = True):
        if self.cleaned_data.get("api_key"):
            self.instance.api_key_encrypted = crypto.encrypt(self.cleaned_data["api_key"])
        return super().save(commit)


@admin.register(ActiveCampaignConnection)
class ActiveCampaignConnectionAdmin(OrganizationScopedAdmin):
    admins_only = True
    form = ActiveCampaignConnectionForm
    list_display = ["api_url", "is_active", "created_at"]
    list_filter = ["is_active", "organization"]
    readonly_fields = ["api_key_status", "webhook_url"]

    def get_fields(self, request: HttpRequest, obj=None):
        fields = super().get_fields(request, obj)
        return fields if obj is not None else [f for f in fields if f not in self.readonly_fields]

    @admin.display(description=_("API key"))
    def api_key_status(self, obj: ActiveCampaignConnection) -> str:
        return _("stored (enter a new one above to replace it)") if obj.api_key_encrypted else _("missing")

    @admin.display(description=_("webhook URL (for ActiveCampaign's webhooks)"))
    def webhook_url(self, obj: ActiveCampaignConnection) -> str:
        return copyable_url(reverse("integrations:activecampaign", args=[obj.webhook_token]))
