"""anymail's webhook views (tracking and inbound of every provider), as anymail.urls
declares them, except that a post whose payload cannot be parsed is answered 400, not
500. Authentication failures stay anymail's own 400 (logged as suspicious)."""

from __future__ import annotations

import logging
from functools import wraps

from anymail import urls as anymail_urls
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import URLPattern

logger = logging.getLogger(__name__)

MALFORMED = (ValueError, KeyError, TypeError, AttributeError, IndexError)


def malformed_payload_is_400(view):
    @wraps(view)  # keeps csrf_exempt and login_not_required
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except MALFORMED as exc:
            logger.warning("Malformed webhook post to %s: %s", request.path, exc.__class__.__name__)
            return HttpResponseBadRequest("Malformed payload.", content_type="text/plain")

    return wrapped


app_name = anymail_urls.app_name
urlpatterns = [
    URLPattern(pattern.pattern, malformed_payload_is_400(pattern.callback), pattern.default_args, pattern.name)
    for pattern in anymail_urls.urlpatterns
]
