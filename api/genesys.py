"""Genesys Cloud's error envelope, for the endpoints that imitate its API (agentless e-mail):

    {"message": "…", "code": "bad.request", "status": 400, "messageWithParams": "…",
     "messageParams": {}, "contextId": "<uuid>", "details": [], "errors": []}

A client written for Genesys reads these; the rest of the API keeps its problem documents
(api.errors). Each answer is first made as everywhere else, then re-shaped, so that both
formats always report the same failures with the same status. Invalid fields are listed
the way Genesys lists them: one `details` entry ({"errorCode", "fieldName"}) and one
nested error body in `errors` per field, the field names joined with dots as in api.errors.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.response import Response

from api import errors

# Genesys' codes for the failures our API reports (by status; 401 and 403 by cause).
CODES = {
    400: "bad.request",
    401: "authentication.required",
    403: "not.authorized",
    404: "not.found",
    405: "method.not.allowed",
    406: "not.acceptable",
    409: "conflict",
    413: "request.entity.too.large",
    415: "unsupported.media.type",
    422: "unprocessable.entity",
    429: "too.many.requests",
}
BY_CAUSE = {
    "authentication_failed": "bad.credentials",
    "missing_permissions": "missing.permissions",
}
FIELD_CODE = "invalid.value"


def body(
    status: int, code: str, message: str, *, params: dict | None = None, template: str = "", fields=None
) -> dict[str, Any]:
    out: dict[str, Any] = {"message": message, "code": code, "status": status}
    if template:
        out["messageWithParams"] = template
    out.update({"messageParams": params or {}, "contextId": str(uuid.uuid4()), "details": [], "errors": []})
    for field, messages in (fields or {}).items():
        detail = {"errorCode": FIELD_CODE, "fieldName": field}
        out["details"].append(detail)
        for text in messages:
            out["errors"].append(
                {"message": text, "code": FIELD_CODE, "status": status, "messageParams": {"fieldName": field},
                 "details": [detail], "errors": []}
            )  # fmt: skip
    return out


def exception_handler(exc: Exception, context: dict) -> Response | None:
    response = errors.exception_handler(exc, context)
    if response is None:
        return None  # a real bug: a 500, logged
    problem = response.data
    status = response.status_code
    fallback = "bad.request" if status < 500 else "internal.server.error"
    code = BY_CAUSE.get(problem["type"]) or CODES.get(status, fallback)
    message, params, template = problem["detail"], {}, ""
    if status == 429 and (retry_after := response.get("Retry-After")):
        params = {"retryAfter": retry_after}
        template = _("Rate limit exceeded the maximum. Retry the request in [{retryAfter}] seconds")
        message = template.replace("{retryAfter}", retry_after)
    genesys = body(status, code, message, params=params, template=template, fields=problem.get("errors"))
    headers = {name: value for name, value in response.items() if name in {"Retry-After", "WWW-Authenticate", "Allow"}}
    headers["inin-correlation-id"] = genesys["contextId"]
    return Response(genesys, status=status, headers=headers)


class GenesysErrorsMixin:
    """For a view that answers errors as Genesys Cloud does."""

    def get_exception_handler(self):
        return exception_handler


class GenesysDetailSerializer(serializers.Serializer):
    errorCode = serializers.CharField(help_text=gettext_lazy("What is wrong with the field: invalid.value."))
    fieldName = serializers.CharField(help_text=gettext_lazy("The field; nested fields joined with dots."))


class GenesysFieldErrorSerializer(serializers.Serializer):
    message = serializers.CharField(help_text=gettext_lazy("What is wrong with the field."))
    code = serializers.CharField(help_text=gettext_lazy("invalid.value"))
    status = serializers.IntegerField(help_text=gettext_lazy("The HTTP status."))
    messageParams = serializers.DictField(help_text=gettext_lazy("The field, as fieldName."))
    details = GenesysDetailSerializer(many=True, help_text=gettext_lazy("The field."))
    errors = serializers.ListField(child=serializers.DictField(), help_text=gettext_lazy("Always empty."))


class GenesysErrorSerializer(serializers.Serializer):
    """Genesys Cloud's error envelope (the agentless endpoints)."""

    message = serializers.CharField(help_text=gettext_lazy("What went wrong, in words."))
    code = serializers.CharField(
        help_text=gettext_lazy(
            "Genesys' code: bad.request, authentication.required, bad.credentials, missing.permissions, "
            "not.found, request.entity.too.large, too.many.requests …"
        )
    )
    status = serializers.IntegerField(help_text=gettext_lazy("The HTTP status."))
    messageWithParams = serializers.CharField(
        required=False, help_text=gettext_lazy("The message with {placeholders} for messageParams.")
    )
    messageParams = serializers.DictField(help_text=gettext_lazy("Values in the message, e.g. retryAfter."))
    contextId = serializers.UUIDField(help_text=gettext_lazy("This answer's id (also in inin-correlation-id)."))
    details = GenesysDetailSerializer(many=True, help_text=gettext_lazy("One entry per invalid field."))
    errors = GenesysFieldErrorSerializer(many=True, help_text=gettext_lazy("One error body per invalid field."))
