from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from api import credentials
from api.models import ApiKey, OAuthClient
from contacts.tenancy import OrganizationScopedAdmin


def _show_once(request: HttpRequest, obj, *, title: str, label: str, secret: str, client_id: str = ""):
    back = reverse(f"admin:api_{obj._meta.model_name}_changelist")
    context = {
        **admin.site.each_context(request),
        "title": title,
        "label": label,
        "secret": secret,
        "client_id": client_id,
        "back": back,
    }
    response = TemplateResponse(request, "api/secret_once.html", context)
    response["Cache-Control"] = "no-store"
    return response


class RevokeMixin:
    @admin.action(description=_("Revoke the selected credentials"))
    def revoke(self, request: HttpRequest, queryset) -> None:
        count = credentials.revoke_credentials(credentials=queryset)
        self.message_user(request, _("%(count)d revoked.") % {"count": count}, messages.SUCCESS)


@admin.register(ApiKey)
class ApiKeyAdmin(RevokeMixin, OrganizationScopedAdmin):
    admins_only = True
    list_display = [
        "name", "prefix", "scope", "agentless_email", "organization", "created_at", "last_used_at", "revoked_at",
    ]  # fmt: skip
    list_filter = ["scope", "agentless_email", "organization"]
    fields = ["organization", "name", "scope", "agentless_email", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]  # revoke with the action
    actions = ["revoke"]

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
        else:
            self.scope_object(request, obj)
            # On the request, not on this admin: one admin instance serves every thread.
            request.api_secret_shown_once = credentials.save_new_api_key(key=obj)

    def response_add(self, request, obj, post_url_continue=None):
        title = _("New API key “%(name)s”") % {"name": obj.name}
        return _show_once(request, obj, title=title, label=_("API key"), secret=request.api_secret_shown_once)


@admin.register(OAuthClient)
class OAuthClientAdmin(RevokeMixin, OrganizationScopedAdmin):
    admins_only = True
    list_display = ["name", "client_id", "scope", "agentless_email", "organization", "created_at", "revoked_at"]
    list_filter = ["scope", "agentless_email", "organization"]
    fields = ["organization", "name", "scope", "agentless_email", "client_id", "created_at", "revoked_at"]
    readonly_fields = ["client_id", "created_at", "revoked_at"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
        else:
            self.scope_object(request, obj)
            request.api_secret_shown_once = credentials.save_new_oauth_client(client=obj)

    def response_add(self, request, obj, post_url_continue=None):
        title = _("New OAuth client “%(name)s”") % {"name": obj.name}
        secret = request.api_secret_shown_once
        return _show_once(request, obj, title=title, label=_("Client secret"), secret=secret, client_id=obj.client_id)
