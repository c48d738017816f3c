from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from api.credentials import Principal


class HasScope(permissions.BasePermission):
    """Every credential may read; only a write-scoped one may change anything."""

    message = _("This credential may only read; use one with the write scope.")

    def has_permission(self, request, view) -> bool:
        principal = request.user
        if not isinstance(principal, Principal):
            return False
        return request.method in permissions.SAFE_METHODS or principal.can_write


class CanSendAgentlessEmail(permissions.BasePermission):
    """Sending agentless e-mail needs its own permission on the credential (Genesys'
    `conversation:agentlessEmail:send`), whether it may read only or also write."""

    message = _(
        "This credential may not send agentless e-mail: give it the permission “agentless e-mail” "
        "(conversation:agentlessEmail:send)."
    )
    code = "missing_permissions"

    def has_permission(self, request, view) -> bool:
        principal = request.user
        if not isinstance(principal, Principal):
            return False
        return request.method in permissions.SAFE_METHODS or principal.can_send_agentless
