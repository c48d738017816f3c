"""OAuth 2 client-credentials grant (RFC 6749 § 4.4): `POST /oauth/token` with the client
authenticated by HTTP Basic. Errors are RFC 6749's, not the API's problem format."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api.credentials import authenticate_client, issue_token

TOKEN_RESPONSE = inline_serializer(
    "AccessTokenResponse",
    {
        "access_token": serializers.CharField(),
        "token_type": serializers.CharField(),
        "expires_in": serializers.IntegerField(),
    },
)
OAUTH_ERROR = inline_serializer(
    "OAuthError", {"error": serializers.CharField(), "error_description": serializers.CharField()}
)


def _error(code: str, description: str, status: int, **headers: str) -> Response:
    return Response(
        {"error": code, "error_description": description},
        status=status,
        headers={"Cache-Control": "no-store", **headers},
    )


def _basic_credentials(header: str) -> tuple[str, str] | None:
    keyword, _sep, encoded = header.partition(" ")
    if keyword.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None
    return unquote(client_id), unquote(secret)  # RFC 6749 § 2.3.1: form-encoded before base64


class TokenView(APIView):
    authentication_classes = []
    permission_classes = []
    throttle_classes = []
    parser_classes = [FormParser]

    @extend_schema(
        summary="Get an access token (client credentials)",
        tags=["oauth"],
        auth=[{"basicAuth": []}],
        request=inline_serializer("TokenRequest", {"grant_type": serializers.ChoiceField(["client_credentials"])}),
        responses={
            200: TOKEN_RESPONSE,
            400: OpenApiResponse(OAUTH_ERROR, description="invalid_request or unsupported_grant_type"),
            401: OpenApiResponse(OAUTH_ERROR, description="invalid_client"),
        },
        examples=[
            OpenApiExample(
                "Token",
                value={"access_token": "eat_3f9c0a1b2c3d_…", "token_type": "bearer", "expires_in": 3600},
                response_only=True,
            )
        ],
    )
    def post(self, request):
        credentials = _basic_credentials(request.META.get("HTTP_AUTHORIZATION", ""))
        if credentials is None:
            return _error(
                "invalid_client", "Authenticate the client with HTTP Basic.", 401,
                **{"WWW-Authenticate": 'Basic realm="oauth"'},
            )  # fmt: skip
        client = authenticate_client(*credentials)
        if client is None:
            return _error(
                "invalid_client", "Unknown client or wrong secret.", 401, **{"WWW-Authenticate": 'Basic realm="oauth"'}
            )
        grant_type = request.data.get("grant_type")
        if not grant_type:
            return _error("invalid_request", "grant_type is missing.", 400)
        if grant_type != "client_credentials":
            return _error("unsupported_grant_type", "Only client_credentials is supported.", 400)
        token, lifetime = issue_token(client)
        return Response(
            {"access_token": token, "token_type": "bearer", "expires_in": lifetime},
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    def handle_exception(self, exc):
        # A body that is not a form (415) or cannot be parsed still answers in RFC 6749's format.
        from rest_framework import exceptions

        if isinstance(exc, exceptions.UnsupportedMediaType | exceptions.ParseError):
            return _error("invalid_request", "Send grant_type as application/x-www-form-urlencoded.", 400)
        if isinstance(exc, exceptions.MethodNotAllowed):
            return _error("invalid_request", "Use POST.", 405, Allow="POST, OPTIONS")
        return super().handle_exception(exc)
