"""Claiming rows of a work table (runs, outbox mails) for one worker, with a lease.

A claim is a conditional UPDATE that stamps a fresh token and a lease on rows that are
due: a row taken meanwhile no longer matches the WHERE, so two workers never hold the
same row. Only the holder of the token may finish a row; a worker that dies leaves a lease
that runs out, and the row becomes due again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction


@dataclass(frozen=True)
class Claim:
    token: uuid.UUID
    size: int


def lease_until(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.ENGAGE_RUN_LEASE_SECONDS)


def claim(
    model: type[models.Model],
    due: models.Q,
    *,
    order_by: str,
    limit: int,
    now: datetime,
    ids: list[int] | None = None,
    **changes: Any,
) -> Claim | None:
    """Claim up to `limit` due rows of `model` (or just those of `ids`); `changes` are set
    on them along with the token and the lease."""
    token = uuid.uuid4()
    with transaction.atomic():
        candidates = model.objects.filter(due)
        if ids is not None:
            candidates = candidates.filter(pk__in=ids)
        # SKIP LOCKED lets several dispatchers take disjoint batches on PostgreSQL; SQLite
        # serialises writers anyway (IMMEDIATE transactions).
        picked = list(
            candidates.order_by(order_by).select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit]
        )
        if not picked:
            return None
        # The WHERE is checked again by the UPDATE itself: a row taken meanwhile is not matched.
        claimed = model.objects.filter(due, pk__in=picked).update(
            claim_token=token, lease_expires_at=lease_until(now), attempts=models.F("attempts") + 1, **changes
        )
    return Claim(token, claimed) if claimed else None
