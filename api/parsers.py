from __future__ import annotations

import io

from django.conf import settings
from rest_framework.parsers import JSONParser

from api.errors import PayloadTooLarge


class LimitedJSONParser(JSONParser):
    """JSON, refused with 413 past ENGAGE_API_MAX_BODY_BYTES (whether or not the client
    sent a Content-Length), before it is parsed."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.ENGAGE_API_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge()
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise PayloadTooLarge()
        return super().parse(io.BytesIO(body), media_type, parser_context)
