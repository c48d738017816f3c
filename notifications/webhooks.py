"""anymail's webhook views (tracking and inbound of every provider), as anymail.urls
declares them, except that a post whose payload cannot be read is answered 400, not 500.

Only the reading is guarded: anymail's checks of the post (`validate_request`) and its
parsing into events (`parse_events`), both the provider's code in anymail. Handling the
parsed events (our receivers, notifications/receivers.py) is not: an error there is a 500,
logged by Django, and the provider delivers the event again, as anymail intends.
Authentication failures stay anymail's own 400 (logged as suspicious)."""

from __future__ import annotations

import logging

from anymail import urls as anymail_urls
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import URLPattern

logger = logging.getLogger(__name__)

MALFORMED = (ValueError, KeyError, TypeError, AttributeError, IndexError)


class MalformedPayload(Exception):
    """The provider's post could not be read into events."""


class MalformedPayloadIs400:
    """Mixed in before one of anymail's webhook views."""

    def run_validators(self, request: HttpRequest) -> None:
        try:
            super().run_validators(request)
        except MALFORMED as exc:
            raise MalformedPayload from exc

    def parse_events(self, request: HttpRequest) -> list:
        try:
            return list(super().parse_events(request))
        except MALFORMED as exc:
            raise MalformedPayload from exc

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return super().post(request, *args, **kwargs)
        except MalformedPayload as exc:
            logger.warning("Malformed webhook post to %s: %s", request.path, exc.__cause__.__class__.__name__)
            return HttpResponseBadRequest("Malformed payload.", content_type="text/plain")


def malformed_payload_is_400(view):
    """The view of one of anymail's URL patterns, with MalformedPayloadIs400 mixed in."""
    view_class = view.view_class
    guarded = type(view_class.__name__, (MalformedPayloadIs400, view_class), {"__module__": __name__})
    return guarded.as_view(**view.view_initkwargs)


app_name = anymail_urls.app_name
urlpatterns = [
    URLPattern(pattern.pattern, malformed_payload_is_400(pattern.callback), pattern.default_args, pattern.name)
    for pattern in anymail_urls.urlpatterns
]
