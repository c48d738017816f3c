"""Pacing the calls to one ActiveCampaign account: 5 requests a second, whoever makes them.

ActiveCampaign counts requests per account, so the budget is a token bucket in the
database (a row per account, locked while a token is taken), shared by every worker
process on every machine. The bucket holds at most one and a half tokens: no burst, so no
second sees more than the limit by more than one. A 429 blocks the account's bucket until its Retry-After has
passed, for every process at once.
"""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.activecampaign.models import RateBucket

# Less than two tokens: never a burst of two, but a request that went out a little late
# (sleep and database latency) does not push every later one back.
CAPACITY = 1.5
# Refill a little slower than the limit: the processes' clocks and the network's jitter must
# not make a second see more than the limit at ActiveCampaign's end.
MARGIN = 0.97


def account_of(api_url: str) -> str:
    """Which account a connection calls: its API host (two organizations may share one)."""
    return (urlsplit(api_url).netloc or api_url).lower()


def try_take(account: str) -> float:
    """Take a token if there is one: returns 0, or the seconds to wait before asking again."""
    rate = settings.ENGAGE_ACTIVECAMPAIGN_REQUESTS_PER_SECOND * MARGIN
    with transaction.atomic():
        bucket, _ = RateBucket.objects.select_for_update().get_or_create(
            account=account, defaults={"tokens": CAPACITY, "updated_at": timezone.now()}
        )
        # The time is read once the row is locked, and never goes back: a process that read
        # the clock before waiting for the lock would otherwise hand out time twice.
        now = max(timezone.now(), bucket.updated_at)
        if bucket.blocked_until and bucket.blocked_until > now:
            return (bucket.blocked_until - now).total_seconds()
        elapsed = max((now - bucket.updated_at).total_seconds(), 0.0)
        available = min(CAPACITY, bucket.tokens + elapsed * rate)
        if available < 1.0:
            return (1.0 - available) / rate
        bucket.tokens, bucket.updated_at = available - 1.0, now
        bucket.save(update_fields=["tokens", "updated_at"])
    return 0.0


def take(account: str, *, timeout: float = 60.0) -> None:
    """Wait until the account's bucket grants a token (at most `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while (wait := try_take(account)) > 0:
        if time.monotonic() + wait > deadline:
            raise TimeoutError(f"No request budget for {account} within {timeout} s.")
        time.sleep(wait)


def block(account: str, seconds: float) -> None:
    """ActiveCampaign said 429: nobody calls the account before `seconds` have passed."""
    until = timezone.now() + timedelta(seconds=seconds)
    with transaction.atomic():
        bucket, _ = RateBucket.objects.select_for_update().get_or_create(
            account=account, defaults={"tokens": 0.0, "updated_at": timezone.now()}
        )
        if bucket.blocked_until is None or bucket.blocked_until < until:
            bucket.blocked_until, bucket.tokens = until, 0.0
            bucket.save(update_fields=["blocked_until", "tokens"])
