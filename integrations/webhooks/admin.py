from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from contacts.tenancy import OrganizationScopedAdmin, ScopedTabularInline
from integrations.common.admin import copyable_url
from integrations.webhooks import services
from integrations.webhooks.models import WebhookEndpoint, WebhookSecret

WEBHOOK_SECRET = re.compile(r"^whsec_[A-Za-z0-9+/]{16,}={0,2}$")


class WebhookSecretInline(ScopedTabularInline):
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
