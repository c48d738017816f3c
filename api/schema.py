"""The OpenAPI schema: every operation documents its errors in the one problem format,
every POST its Idempotency-Key, and the bearer credential."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiParameter

from api.genesys import GenesysErrorSerializer, GenesysErrorsMixin
from api.serializers import ProblemSerializer

ERRORS = {
    "400": "Invalid input: `errors` names each field with its messages.",
    "401": "No credential, or an unknown, revoked or expired one.",
    "403": "The credential may only read.",
    "404": "No such object in your organization.",
    "413": "The request body is too large.",
    "415": "The body is not JSON.",
    "429": "Too many requests: wait `Retry-After` seconds.",
}
POST_ERRORS = {
    "409": "A request with this Idempotency-Key is still being processed.",
    "422": "The Idempotency-Key was used with another body, or the request cannot be carried out.",
}
READ_ONLY = {"401", "404", "429", "400"}
EXAMPLES = {
    "400": {
        "type": "validation_error", "title": "Invalid input.", "status": 400, "detail": "Enter a valid email address.",
        "errors": {"email": ["Enter a valid email address."]},
    },
    "401": {"type": "not_authenticated", "title": "Authentication required.", "status": 401,
            "detail": "Authentication credentials were not provided."},
    "403": {"type": "permission_denied", "title": "Not allowed.", "status": 403,
            "detail": "This credential may only read; use one with the write scope."},
    "404": {"type": "not_found", "title": "Not found.", "status": 404, "detail": "Not found."},
    "409": {"type": "idempotency_in_progress", "title": "Conflict.", "status": 409,
            "detail": "A request with this Idempotency-Key is still being processed; retry later."},
    "413": {"type": "payload_too_large", "title": "Request body too large.", "status": 413,
            "detail": "The request body is too large."},
    "415": {"type": "unsupported_media_type", "title": "Unsupported media type.", "status": 415,
            "detail": 'Unsupported media type "text/plain" in request.'},
    "422": {"type": "idempotency_mismatch", "title": "Unprocessable request.", "status": 422,
            "detail": "This Idempotency-Key was used with a different request body."},
    "429": {"type": "throttled", "title": "Too many requests.", "status": 429,
            "detail": "Request was throttled. Expected available in 42 seconds."},
}  # fmt: skip


def _genesys(status: int, code: str, message: str, **extra) -> dict:
    return {"message": message, "code": code, "status": status, "messageParams": {},
            "contextId": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "details": [], "errors": [], **extra}  # fmt: skip


GENESYS_EXAMPLES = {
    "400": _genesys(
        400, "bad.request", "Ensure this field has no more than 400 characters.",
        details=[{"errorCode": "invalid.value", "fieldName": "subject"}],
        errors=[{"message": "Ensure this field has no more than 400 characters.", "code": "invalid.value",
                 "status": 400, "messageParams": {"fieldName": "subject"},
                 "details": [{"errorCode": "invalid.value", "fieldName": "subject"}], "errors": []}],
    ),
    "401": _genesys(401, "authentication.required", "Authentication credentials were not provided."),
    "403": _genesys(
        403, "missing.permissions", "This credential may not send agentless e-mail: give it the permission "
        "“agentless e-mail” (conversation:agentlessEmail:send).",
    ),
    "404": _genesys(404, "not.found", "Not found."),
    "409": _genesys(409, "conflict", "A request with this Idempotency-Key is still being processed; retry later."),
    "413": _genesys(413, "request.entity.too.large", "The request body is too large."),
    "415": _genesys(415, "unsupported.media.type", 'Unsupported media type "text/plain" in request.'),
    "422": _genesys(422, "unprocessable.entity", "This Idempotency-Key was used with a different request body."),
    "429": _genesys(
        429, "too.many.requests", "Rate limit exceeded the maximum. Retry the request in [12] seconds",
        messageWithParams="Rate limit exceeded the maximum. Retry the request in [{retryAfter}] seconds",
        messageParams={"retryAfter": "12"},
    ),
}  # fmt: skip
GENESYS_ERRORS = {
    **ERRORS,
    "400": "Invalid input: `details` and `errors` name each field.",
    "403": "The credential lacks the agentless e-mail permission (conversation:agentlessEmail:send).",
}


class AutoSchema(BaseAutoSchema):
    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method == "POST" and self._is_api():
            parameters.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    str,
                    OpenApiParameter.HEADER,
                    required=False,
                    description="Any unique string (≤ 255 characters). Sent again with the same body, the first "
                    "response is replayed with `Idempotent-Replayed: true`; kept 24 hours.",
                )
            )
        return parameters

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        # Every field has a description: its help text, or else its (translated) label.
        if "description" not in meta and getattr(field, "label", None):
            meta["description"] = str(field.label)
        return meta

    def _is_api(self) -> bool:
        return self.path.startswith("/api/")

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if not self._is_api():
            return responses
        # The agentless endpoints answer errors in Genesys' envelope, the rest as problems.
        genesys = isinstance(self.view, GenesysErrorsMixin)
        problem = self.resolve_serializer(GenesysErrorSerializer if genesys else ProblemSerializer, "response").ref
        examples, all_errors = (GENESYS_EXAMPLES, GENESYS_ERRORS) if genesys else (EXAMPLES, ERRORS)
        errors = dict(all_errors) if self.method != "GET" else {k: v for k, v in all_errors.items() if k in READ_ONLY}
        if self.method == "POST":
            errors.update(POST_ERRORS)
            for code, response in responses.items():
                if code.startswith("2"):
                    response.setdefault("headers", {})["Idempotent-Replayed"] = {
                        "schema": {"type": "string", "enum": ["true"]},
                        "description": "Present when this is the stored response of an earlier request with the "
                        "same Idempotency-Key.",
                    }
        if self.method in ("PUT", "PATCH"):
            errors["422"] = POST_ERRORS["422"]
        for code, description in errors.items():
            content = {"schema": problem, "example": examples[code]}
            entry = {"description": description, "content": {"application/json": content}}
            if code == "429":
                entry["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}
            responses.setdefault(code, entry)
        return responses


class BearerScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key (`eng_…`, created in the admin or with `manage.py create_api_key`) "
            "or an OAuth access token (`eat_…`, from POST /oauth/token).",
        }
