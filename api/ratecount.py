"""Counting requests per minute so that no concurrent increment is lost.

With Redis (REDIS_URL) the cache counts: Redis' INCR is atomic. Without it, Django's
database cache is not (its incr reads, adds and writes back), so the count is kept in
RateCount rows instead: INSERT … ON CONFLICT DO NOTHING creates the row, one
UPDATE … SET count = count + 1 raises it, and the same transaction reads it back (the
row stays locked by the update until then)."""

from __future__ import annotations

import time

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from django.db.models import F

from api.models import RateCount

WINDOW = 60  # seconds


def _counts_in_cache() -> bool:
    return isinstance(caches["default"], RedisCache)


def hit(name: str, window: int) -> int:
    """Count one more for `name` in minute `window`; return the count including it."""
    if _counts_in_cache():
        key = f"{name}:{window}"
        cache.add(key, 0, timeout=WINDOW * 2)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=WINDOW * 2)
            return 1
    with transaction.atomic():
        RateCount.objects.bulk_create([RateCount(key=name, window=window)], ignore_conflicts=True)
        RateCount.objects.filter(key=name, window=window).update(count=F("count") + 1)
        return RateCount.objects.filter(key=name, window=window).values_list("count", flat=True).get()


def purge_rate_counts() -> int:
    """Forget the counts of minutes before the previous one; returns how many rows went."""
    deleted, _ = RateCount.objects.filter(window__lt=int(time.time() // WINDOW) - 1).delete()
    return deleted
