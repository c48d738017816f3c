from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from api.credentials import Principal, principal_for_bearer


class BearerAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <API key or OAuth access token>`."""

    keyword = "Bearer"

    def authenticate(self, request) -> tuple[Principal, str] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        keyword, _sep, value = header.partition(" ")
        if keyword.lower() != self.keyword.lower() or not value.strip():
            raise exceptions.AuthenticationFailed(_("Send the credential as “Authorization: Bearer <key>”."))
        principal = principal_for_bearer(value.strip())
        if principal is None:
            raise exceptions.AuthenticationFailed(_("Unknown, revoked or expired credential."))
        return principal, principal.credential

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'
