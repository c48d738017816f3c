from __future__ import annotations

import re

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from contacts.tenancy import OrganizationScopedAdmin, ReadOnlyScopedAdmin
from integrations.common.admin import copyable_url
from integrations.salesforce.models import SalesforceConnection, SalesforceNotification

SALESFORCE_ID = re.compile(r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$")


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
