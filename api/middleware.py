"""Every error under /api/ and /oauth/ is a problem document, also those no view handled;
every answer there is counted by status for /metrics (api.requestcount).

DRF's exception handler (api.errors) answers what a view raises on purpose; this answers
the rest: a bug is a 500, a database or Redis that cannot be reached (or no free pooled
connection within DATABASE_POOL_TIMEOUT) a 503 with Retry-After, both as JSON, so that a
client's JSON parser never meets an HTML error page.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, JsonResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from api import requestcount
from api.errors import problem_body

logger = logging.getLogger("django.request")
UNAVAILABLE = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)
RETRY_AFTER_SECONDS = 5


def is_api_path(path: str) -> bool:
    return path.startswith(("/api/", "/oauth/"))


def error_response(request: HttpRequest, exception: BaseException | None) -> JsonResponse:
    if isinstance(exception, UNAVAILABLE):
        body = problem_body(503, "service_unavailable", "A service Engage needs is unreachable; retry shortly.")
        response = JsonResponse(body, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return JsonResponse(problem_body(500, "server_error", "An unexpected error occurred."), status=500)


class ApiErrorMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        response = self.get_response(request)
        if is_api_path(request.path):
            requestcount.count(response.status_code)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not is_api_path(request.path):
            return None  # Django's own error pages
        extra = {"status_code": 500, "request": request}
        logger.error("Internal Server Error: %s", request.path, exc_info=exception, extra=extra)
        return error_response(request, exception)


def server_error(request: HttpRequest):
    """handler500: what went wrong outside a view (in a middleware), as JSON under /api/."""
    from django.views.defaults import server_error as page

    if is_api_path(request.path):
        return error_response(request, None)
    return page(request)
