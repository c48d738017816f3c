"""One error format for the whole API (a problem document, after RFC 9457):

    {"type": "validation_error", "title": "Invalid input.", "status": 400,
     "detail": "…", "errors": {"field": ["message"], "events.3.type": ["…"]}}

`errors` is present for invalid input; nested fields are joined with dots.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from engage.errors import PermanentError


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("A request with this Idempotency-Key is still being processed; retry later.")
    default_code = "idempotency_in_progress"


class IdempotencyMismatch(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("This Idempotency-Key was used with a different request body.")
    default_code = "idempotency_mismatch"


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("The request is valid but cannot be carried out.")
    default_code = "unprocessable"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "payload_too_large"


TITLES = {
    400: _("Invalid input."),
    401: _("Authentication required."),
    403: _("Not allowed."),
    404: _("Not found."),
    405: _("Method not allowed."),
    406: _("Not acceptable."),
    409: _("Conflict."),
    413: _("Request body too large."),
    415: _("Unsupported media type."),
    422: _("Unprocessable request."),
    429: _("Too many requests."),
    500: _("Server error."),
    503: _("Service unavailable."),
}


def problem_body(status_code: int, code: str, detail: str, errors: dict | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": code,
        "title": str(TITLES.get(status_code, _("Error."))),
        "status": status_code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return body


def problem(status_code: int, code: str, detail: str, errors: dict | None = None, headers=None) -> Response:
    return Response(problem_body(status_code, code, detail, errors), status=status_code, headers=headers)


def flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"a.b.0.c": ["message", …]}."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            if key == "non_field_errors" and prefix:  # a list's own error belongs to the list
                out.update(flatten(value, prefix))
            else:
                out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]} if detail else {}
        out = {}
        for index, item in enumerate(detail):
            out.update(flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return out
    return {prefix or "non_field_errors": [str(detail)]}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    # Imported here: rest_framework.views loads the parser classes, which import this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, IntegrityError):
        # A concurrent request saved the same unique value first (validation checked before).
        exc = Conflict(_("This conflicts with data saved at the same moment; retry the request."), code="conflict")
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, PermanentError):
        exc = Unprocessable(str(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let it be a 500 and be logged
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten(exc.detail)
        detail = next(iter(errors.values()))[0] if len(errors) == 1 else str(_("Some fields are invalid."))
        return problem(400, "validation_error", detail, errors, headers=_headers(response))
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    if isinstance(detail, (dict, list)):
        errors = flatten(detail)
        return problem(response.status_code, exc.default_code, str(_("See errors.")), errors, _headers(response))
    code = detail.code if isinstance(detail, exceptions.ErrorDetail) and detail.code else "error"
    return problem(response.status_code, str(code), str(detail), headers=_headers(response))


def _headers(response: Response) -> dict[str, str]:
    return {name: value for name, value in response.items() if name in {"Retry-After", "WWW-Authenticate", "Allow"}}
