"""Readiness and metrics for load balancers, orchestrators and Prometheus."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from ops.health import readiness
from ops.metrics import EngageCollector

LOOPBACK = {"127.0.0.1", "::1"}


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database, cache and broker answer and the dispatcher and the workers beat
    within the last minute; 503 otherwise, saying which."""
    checks = readiness()
    ready = all(answer == "ok" for answer in checks.values())
    return JsonResponse({"ready": ready, "checks": checks}, status=200 if ready else 503)


def may_scrape(request: HttpRequest) -> bool:
    """With ENGAGE_METRICS_TOKEN: who sends it as a bearer token. Without: a client on this
    machine that did not come through a proxy (a proxy on the same machine is loopback too)."""
    token = settings.ENGAGE_METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    forwarded = "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
    return request.META.get("REMOTE_ADDR") in LOOPBACK and not forwarded


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not may_scrape(request):
        return HttpResponse("Forbidden: set ENGAGE_METRICS_TOKEN and send it as a bearer token.\n", status=403,
                            content_type="text/plain")  # fmt: skip
    registry = CollectorRegistry(auto_describe=False)
    registry.register(EngageCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
