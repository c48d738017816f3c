"""What every inbound endpoint shares. Each is addressed by a secret token in its URL; an
unknown or inactive token is a 404, whoever's it is. Nothing is acknowledged before it is
committed."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

# The same answer for a token that never existed and one that is inactive or another's.
NO_SUCH_ENDPOINT = "No active endpoint has this address; check the token in the URL."
MAX_BODY = 1024 * 1024  # Salesforce sends at most 100 notifications; webhooks are small


def read_body(request: HttpRequest) -> bytes | None:
    """The request body, or None if it is larger than MAX_BODY."""
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return None
    if length > MAX_BODY:
        return None
    body = request.read(MAX_BODY + 1)
    return body if len(body) <= MAX_BODY else None


def json_error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)
