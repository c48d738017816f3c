from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from contacts.tenancy import OrganizationScopedAdmin, ReadOnlyScopedAdmin, ScopedInlineMixin
from engage import crypto
from integrations import services
from integrations.models import (
    ActiveCampaignConnection,
    InboundNotification,
    SalesforceConnection,
    SalesforceNotification,
    WebhookEndpoint,
    WebhookSecret,
)
from notifications.contact_mails import portal_url

SALESFORCE_ID = re.compile(r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$")
ACTIVECAMPAIGN_URL = re.compile(r"^https://[a-z0-9-]+\.(api-us\d+\.com|activehosted\.com)/?$")
WEBHOOK_SECRET = re.compile(r"^whsec_[A-Za-z0-9+/]{16,}={0,2}$")


def copyable_url(path: str) -> str:
    url = portal_url(path)
    return format_html(
        '<code>{}</code> <button type="button" class="button" data-copy="{}" data-copied="{}" onclick="'
        'navigator.clipboard.writeText(this.dataset.copy); this.textContent=this.dataset.copied">{}</button>',
        url,
        url,
        _("Copied"),
        _("Copy"),
    )


class SalesforceConnectionForm(forms.ModelForm):
    class Meta:
        model = SalesforceConnection
        fields = ["name", "salesforce_organization_id", "is_active"]

    def clean_salesforce_organization_id(self) -> str:
        value = self.cleaned_data["salesforce_organization_id"].strip()
        if not SALESFORCE_ID.match(value):
            raise forms.ValidationError(
                _("Enter the 15- or 18-character Salesforce organization ID (letters and digits).")
            )
        return value


@admin.register(SalesforceConnection)
class SalesforceConnectionAdmin(OrganizationScopedAdmin):
    admins_only = True
    form = SalesforceConnectionForm
    list_display = ["name", "salesforce_organization_id", "is_active", "created_at"]
    list_filter = ["is_active", "organization"]
    readonly_fields = ["endpoint_url"]

    def get_fields(self, request: HttpRequest, obj=None):
        fields = super().get_fields(request, obj)
        return fields if obj is not None else [f for f in fields if f != "endpoint_url"]

    @admin.display(description=_("endpoint URL (enter it in the outbound message)"))
    def endpoint_url(self, obj: SalesforceConnection) -> str:
        return copyable_url(reverse("integrations:salesforce", args=[obj.token]))


@admin.register(SalesforceNotification)
class SalesforceNotificationAdmin(ReadOnlyScopedAdmin):
    list_display = ["notification_id", "object_type", "object_id", "status", "contact", "received_at"]
    list_filter = ["status", "object_type", "organization"]
    search_fields = ["notification_id", "object_id", "contact__email"]
    date_hierarchy = "received_at"
    fields = [
        "organization",
        "connection",
        "notification_id",
        "action_id",
        "object_type",
        "object_id",
        "deleted",
        "last_modified_at",
        "status",
        "contact",
        "event",
        "output",
        "fields",
        "received_at",
    ]
    readonly_fields = fields


class WebhookSecretInline(ScopedInlineMixin, admin.TabularInline):
    model = WebhookSecret
    fields = ["hint", "created_at"]
    readonly_fields = fields
    extra = 0
    verbose_name_plural = _("signing secrets (delete an old one after rotating)")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # added through the endpoint form, which shows a new secret once


class WebhookEndpointForm(forms.ModelForm):
    new_secret = forms.CharField(
        label=_("add a signing secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Leave empty to have a new secret generated (shown once after saving), or paste the "
            "sender's secret (whsec_ followed by base64). Stored encrypted."
        ),
    )
    generate_secret = forms.BooleanField(
        label=_("generate a new secret"), required=False, help_text=_("For rotation: both secrets stay valid.")
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "is_active"]

    def clean_new_secret(self) -> str:
        secret = self.cleaned_data["new_secret"].strip()
        if secret and not WEBHOOK_SECRET.match(secret):
            raise forms.ValidationError(_("A secret is whsec_ followed by base64 (at least 16 characters)."))
        return secret


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(OrganizationScopedAdmin):
    admins_only = True
    form = WebhookEndpointForm
    inlines = [WebhookSecretInline]
    list_display = ["name", "is_active", "created_at"]
    list_filter = ["is_active", "organization"]
    readonly_fields = ["endpoint_url"]

    def get_fields(self, request: HttpRequest, obj=None):
        fields = super().get_fields(request, obj)
        return fields if obj is not None else [f for f in fields if f not in {"endpoint_url", "generate_secret"}]

    @admin.display(description=_("endpoint URL"))
    def endpoint_url(self, obj: WebhookEndpoint) -> str:
        return copyable_url(reverse("integrations:webhook", args=[obj.token]))

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        pasted = form.cleaned_data.get("new_secret")
        if pasted:
            services.add_webhook_secret(endpoint=form.instance, secret=pasted)
            messages.success(request, _("The secret was added."))
        elif not change or form.cleaned_data.get("generate_secret"):
            secret = services.add_webhook_secret(endpoint=form.instance)
            messages.warning(
                request,
                format_html(str(_("New signing secret, shown only now — copy it to the sending system: {}")), secret),
            )


@admin.register(InboundNotification)
class InboundNotificationAdmin(ReadOnlyScopedAdmin):
    list_display = ["webhook_id", "source", "endpoint", "status", "contact", "received_at"]
    list_filter = ["source", "status", "organization"]
    search_fields = ["webhook_id", "contact__email"]
    date_hierarchy = "received_at"
    fields = [
        "organization",
        "source",
        "endpoint",
        "webhook_id",
        "received_at",
        "status",
        "contact",
        "event",
        "output",
        "payload",
    ]
    readonly_fields = fields


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
