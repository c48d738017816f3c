"""Claiming rows of a work table (runs, outbox mails) for one worker, with a lease.

A claim is a conditional UPDATE that stamps a fresh token and a lease on rows that are
due: a row taken meanwhile no longer matches the WHERE, so two workers never hold the
same row. Only the holder of the token may finish a row; a worker that dies leaves a lease
that runs out, and the row becomes due again. A worker still busy renews the lease of what
it holds (`renew`); a transient failure is tried again after a delay that doubles with each
attempt (`backoff`).

A claim is not an attempt: the worker counts one when it starts on the rows (`take_over`).
Rows claimed again because their task waited in a backed-up queue longer than the lease
therefore keep their attempts for real work.

`take_over` also writes which process holds the rows (`holder`, see engage.lib.processes).
Each app registers its claimable table (`register`), so that the claims of a process whose
heartbeat stopped can be given back at once (`give_back`, engage.recovery) rather than when
their lease runs out.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from engage.lib import processes

# Retries of transient failures wait 1, 2, 4, 8 … minutes, at most an hour.
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)


@dataclass(frozen=True)
class Claim:
    token: uuid.UUID
    size: int


@dataclass(frozen=True)
class Claimable:
    """A work table: rows in `status` are claimed; given back, they return to `back_to`, and
    `hand_on` (ids) hands them to workers again at once."""

    model: type[models.Model]
    status: str
    back_to: str
    hand_on: Callable[[list[int]], None]


_claimables: list[Claimable] = []


def register(model: type[models.Model], *, status: str, back_to: str, hand_on: Callable[[list[int]], None]) -> None:
    """Called from AppConfig.ready() by each app with a claimable table."""
    if all(entry.model is not model for entry in _claimables):
        _claimables.append(Claimable(model, status, back_to, hand_on))


def claimables() -> list[Claimable]:
    return list(_claimables)


def lease_until(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.ENGAGE_LEASE_SECONDS)


def renewal_due(renewed: float) -> bool:
    """Whether a worker that last renewed its lease at `renewed` (time.monotonic()) should
    renew it now: after a quarter of the lease, well before it runs out."""
    return time.monotonic() - renewed > settings.ENGAGE_LEASE_SECONDS / 4


def renew(model: type[models.Model], token: uuid.UUID | str, *, status: str, now: datetime | None = None) -> set[int]:
    """Renew the lease of the rows of `model` still held under `token` (claimed, and still
    in the claimed `status`); returns their ids. A row another worker took over, or that
    was finished meanwhile, is neither renewed nor returned."""
    held = model.objects.filter(claim_token=token, status=status)
    held.update(lease_expires_at=lease_until(now or timezone.now()))
    return set(held.values_list("pk", flat=True))


def backoff(attempts: int, *, base: timedelta = RETRY_BASE, cap: timedelta = RETRY_CAP) -> timedelta:
    """How long to wait before trying again after the `attempts`-th attempt failed: `base`
    after the first, doubling with each further attempt, never more than `cap`."""
    delay = base
    for _ in range(attempts - 1):
        if delay >= cap:
            break  # doubling further changes nothing, and could overflow a timedelta
        delay *= 2
    return min(delay, cap)


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
            claim_token=token, lease_expires_at=lease_until(now), holder="", **changes
        )
    return Claim(token, claimed) if claimed else None


def take_over(
    model: type[models.Model], token: uuid.UUID | str, *, status: str, holder: str | None = None
) -> uuid.UUID | None:
    """Start work on the rows claimed under `token`: move them to a fresh token, renew their
    lease, count the attempt and write who holds them (this process), in one UPDATE. A task
    the broker delivers twice finds nothing the second time. Returns the new token, or None
    if nothing is held any more."""
    own = uuid.uuid4()
    taken = model.objects.filter(claim_token=token, status=status).update(
        claim_token=own,
        lease_expires_at=lease_until(timezone.now()),
        attempts=models.F("attempts") + 1,
        holder=holder or processes.identity(),
    )
    return own if taken else None


def release(
    model: type[models.Model], token: uuid.UUID | str, *, status: str, back_to: str, uncount: bool = False
) -> int:
    """Give the rows held under `token` back at once (their task could not be handed to a
    worker, or its worker ran out of time before starting them), instead of leaving them
    until the lease runs out. `uncount`: take back the attempt `take_over` counted."""
    attempts = {"attempts": models.F("attempts") - 1} if uncount else {}
    return model.objects.filter(claim_token=token, status=status).update(
        status=back_to, claim_token=None, lease_expires_at=None, holder="", **attempts
    )


def give_back(
    entry: Claimable,
    *,
    holder: str | None = None,
    holders_prefix: str | None = None,
    claimed_before: datetime | None = None,
    token: uuid.UUID | str | None = None,
    uncount: bool = False,
    hand_on: bool = True,
) -> list[int]:
    """Give back at once, and hand on to workers, the rows of `entry` held by `holder` (one
    process), by every holder starting with `holders_prefix` (one dead cluster), under
    `token`, or, with `claimed_before`, the rows claimed before then that no worker started.
    Returns their ids. `hand_on=False` leaves them to the dispatcher.

    Safe against a holder that is in fact alive: its token no longer matches, so whatever it
    still finishes is refused (and rolled back) like after a lost lease."""
    held = entry.model.objects.filter(status=entry.status)
    if holder is not None:
        held = held.filter(holder=holder)
    elif holders_prefix is not None:
        held = held.filter(holder__startswith=holders_prefix)
    elif token is not None:
        held = held.filter(claim_token=token)
    elif claimed_before is not None:
        # A claim's lease is set to claim time + the lease; a started row has a holder.
        held = held.filter(holder="", claim_token__isnull=False, lease_expires_at__lt=lease_until(claimed_before))
    else:
        raise ValueError("give_back needs holder, holders_prefix, token or claimed_before")
    ids = list(held.values_list("pk", flat=True))
    if not ids:
        return []
    attempts = {"attempts": models.F("attempts") - 1} if uncount else {}
    # The same conditions again in the UPDATE: a row finished or taken meanwhile is left alone.
    released = held.filter(pk__in=ids).update(
        status=entry.back_to, claim_token=None, lease_expires_at=None, holder="", **attempts
    )
    if released and hand_on:
        entry.hand_on(ids)
    return ids
