"""The admin of what several integrations share: the address of an inbound endpoint with a
copy button, and the notifications received from webhooks and ActiveCampaign."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from contacts.tenancy import ReadOnlyScopedAdmin
from integrations.common.models import InboundNotification
from notifications.contact_mails import portal_url


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
