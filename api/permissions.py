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
