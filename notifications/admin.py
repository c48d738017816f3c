from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from contacts.tenancy import ReadOnlyScopedAdmin
from notifications.models import OutboundMessage


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyScopedAdmin):
    list_display = ["subject", "recipient", "status", "created_at", "sent_at"]
    list_filter = ["status", "organization"]
    search_fields = ["recipient", "subject", "message_id", "provider_message_id"]
    date_hierarchy = "created_at"
    fields = [
        "organization",
        "recipient",
        "from_email",
        "subject",
        "status",
        "message_id",
        "provider_message_id",
        "attempts",
        "error",
        "contact",
        "run",
        "created_at",
        "sent_at",
        "text_body",
        "html_preview",
    ]
    readonly_fields = fields

    @admin.display(description=_("HTML body"))
    def html_preview(self, obj: OutboundMessage) -> str:
        if not obj.html_body:
            return "—"
        # Shown in a sandboxed frame: the mail's HTML never runs in the admin's origin.
        return format_html(
            '<iframe sandbox srcdoc="{}" style="width: 100%; min-height: 360px; border: 1px solid #ccc;"></iframe>',
            obj.html_body,
        )
