"""Requests per minute and credential, counted in Redis when scaled out, in the database
otherwise (api.ratecount), so that every web process shares one count and concurrent
requests lose no increment."""

from __future__ import annotations

import time

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from api import ratecount
from api.ratecount import WINDOW


class CredentialRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        credential = getattr(request.user, "credential", None)
        if credential is None:
            return True  # unauthenticated requests are refused before they cost anything
        now = time.time()
        window = int(now // WINDOW)
        count = ratecount.hit(f"api-rate:{credential}", window)
        self._wait = (window + 1) * WINDOW - now
        return count <= settings.ENGAGE_API_REQUESTS_PER_MINUTE

    def wait(self) -> float:
        return max(self._wait, 1.0)
