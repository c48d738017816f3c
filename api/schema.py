"""The OpenAPI schema: every operation documents its errors in the one problem format,
every POST its Idempotency-Key, and the bearer credential."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiParameter

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

    def _is_api(self) -> bool:
        return self.path.startswith("/api/")

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if not self._is_api():
            return responses
        problem = self.resolve_serializer(ProblemSerializer, "response").ref
        errors = dict(ERRORS) if self.method != "GET" else {k: v for k, v in ERRORS.items() if k in READ_ONLY}
        if self.method == "POST":
            errors.update(POST_ERRORS)
        if self.method in ("PUT", "PATCH"):
            errors["422"] = POST_ERRORS["422"]
        for code, description in errors.items():
            entry = {"description": description, "content": {"application/json": {"schema": problem}}}
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
