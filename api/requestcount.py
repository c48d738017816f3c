"""API requests counted by HTTP status for /metrics, right across processes.

Each process counts in memory and adds its counts to the RequestCount rows (one atomic
UPDATE … SET count = count + n per status) at most every FLUSH_SECONDS, from the request
that finds the last flush old enough. A process killed in between loses at most those
seconds of counts; a request never waits for a write of its own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter

from django.db import DatabaseError, transaction
from django.db.models import F

from api.models import RequestCount

logger = logging.getLogger(__name__)
FLUSH_SECONDS = 5.0

_lock = threading.Lock()
_pending: Counter[int] = Counter()
_flushed_at = time.monotonic()


def count(status: int) -> None:
    global _flushed_at
    with _lock:
        _pending[status] += 1
        if time.monotonic() - _flushed_at < FLUSH_SECONDS:
            return
        _flushed_at = time.monotonic()
    flush()


def flush() -> None:
    with _lock:
        counts = dict(_pending)
        _pending.clear()
    if not counts:
        return
    try:
        with transaction.atomic():
            RequestCount.objects.bulk_create([RequestCount(status=status) for status in counts], ignore_conflicts=True)
            for status, n in sorted(counts.items()):  # in one order: two processes never deadlock
                RequestCount.objects.filter(status=status).update(count=F("count") + n)
    except DatabaseError:
        logger.warning("Could not store API request counts; keeping them for the next flush")
        with _lock:
            _pending.update(counts)
