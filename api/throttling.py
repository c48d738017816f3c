"""Requests per minute and credential, counted in Django's cache (Redis when scaled out,
the database cache otherwise), so that every web process shares one count."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

WINDOW = 60  # seconds


class CredentialRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        credential = getattr(request.user, "credential", None)
        if credential is None:
            return True  # unauthenticated requests are refused before they cost anything
        now = time.time()
        window = int(now // WINDOW)
        key = f"api-rate:{credential}:{window}"
        cache.add(key, 0, timeout=WINDOW * 2)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=WINDOW * 2)
            count = 1
        self._wait = (window + 1) * WINDOW - now
        return count <= settings.ENGAGE_API_REQUESTS_PER_MINUTE

    def wait(self) -> float:
        return max(self._wait, 1.0)
