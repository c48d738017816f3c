from __future__ import annotations

import io

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from api.errors import PayloadTooLarge
from engage.lib import nesting


class LimitedJSONParser(JSONParser):
    """JSON, refused with 413 past ENGAGE_API_MAX_BODY_BYTES (whether or not the client
    sent a Content-Length), before it is parsed; and with 400 when it is nested more than
    nesting.MAX_DEPTH levels deep (the body itself counted), which bounds every free JSON
    the API stores (event payloads, transaction data, contact attributes)."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.ENGAGE_API_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge()
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise PayloadTooLarge()
        try:
            data = super().parse(io.BytesIO(body), media_type, parser_context)
            too_deep = nesting.depth(data) > nesting.MAX_DEPTH
        except RecursionError:  # nested far deeper still
            too_deep = True
        if not too_deep:
            return data
        raise ParseError(
            _("JSON nested more than %(limit)d levels deep is not accepted.") % {"limit": nesting.MAX_DEPTH},
            code="too_deep",
        )
