"""Giving claims back within seconds instead of when their lease runs out.

- A task cluster or dispatcher that starts, and each of them every few seconds after, gives
  back the claims of processes whose heartbeat stopped (`give_back_dead`).
- A task cluster that starts gives back the claims no worker started that were made before
  it started (`give_back_unstarted`): their tasks may have died in the memory of a cluster
  that was killed. A task still queued for them finds nothing and does nothing.
- A task cluster or dispatcher that finds the broker's mark gone (Redis flushed, or
  restarted without its data: the queued tasks are lost with it) gives back the claims no
  worker started (`give_back_if_broker_lost`), at once rather than when their leases run out.
- A task that loses the database (`run_claimed`) waits until it is back, then gives back
  what it held, uncounted, and hands it on; a cluster asked to stop gives back the tasks it
  has not started.

Giving back never breaks exactly-once: the rows get no token, so a holder that was in fact
alive can finish nothing more (engage.lib.leases).
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, models
from django.utils import timezone

from engage import heartbeat
from engage.lib import leases, processes
from engage.models import ProcessHeartbeat

logger = logging.getLogger(__name__)

# How often the database is tried again while it is away.
RECONNECT_SECONDS = 0.25


def give_back_dead() -> int:
    """Give back what the processes taken for dead held; forget those processes."""
    given = 0
    for name in heartbeat.stale_processes():
        for entry in leases.claimables():
            given += len(leases.give_back(entry, holders_prefix=processes.holders_of(name)))
        ProcessHeartbeat.objects.filter(name=name).delete()
        logger.warning("Process %s stopped beating; gave back what it held", name)
    return given


def give_back_unstarted(before: datetime) -> int:
    """Give back the claims made before `before` that no worker has started."""
    return sum(len(leases.give_back(entry, claimed_before=before)) for entry in leases.claimables())


def broker_mark(broker) -> str | None:
    """The key this sets in a Redis broker, next to its queue; None for a broker whose tasks
    live in the database (the ORM broker loses nothing the database keeps)."""
    from django_q.brokers.redis_broker import Redis

    return f"{broker.list_key}:mark" if isinstance(broker, Redis) else None


def give_back_if_broker_lost(broker) -> int:
    """Set the broker's mark if it is missing; if it was (the broker lost its data, or this is
    its first use), the tasks of the claims nobody started may be gone with it: give those
    claims back and hand them on. A task of theirs that did survive (in a cluster's memory)
    finds nothing. Only the process whose SET NX wins gives back."""
    from redis.exceptions import RedisError

    key = broker_mark(broker)
    if key is None:
        return 0
    try:
        if not broker.connection.set(key, "1", nx=True):
            return 0
    except RedisError:
        return 0  # unreachable: its mark is looked at again once it is back
    given = give_back_unstarted(timezone.now())
    if given:
        logger.warning("The broker lost its tasks (its mark was gone); gave back %s unstarted claims", given)
    return given


def give_back_mine(*, uncount: bool) -> int:
    """Give back everything the processes of this cluster (or this dispatcher) hold."""
    prefix = processes.holders_of(processes.name())
    return sum(len(leases.give_back(entry, holders_prefix=prefix, uncount=uncount)) for entry in leases.claimables())


def database_lost(exc: BaseException) -> bool:
    """Whether `exc` means the connection to the database is gone (the server restarted or
    cannot be reached), rather than that a query failed on a working connection."""
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    raw = connection.connection
    if raw is None:
        return True  # Django dropped it after a failed rollback
    return bool(getattr(raw, "broken", False) or getattr(raw, "closed", False))


def wait_for_database(seconds: float) -> bool:
    """Try to reconnect every RECONNECT_SECONDS for at most `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        with contextlib.suppress(Exception):
            connection.close()
        try:
            connection.ensure_connection()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return True
        except (OperationalError, InterfaceError):
            if time.monotonic() > deadline:
                return False
            time.sleep(RECONNECT_SECONDS)


def run_claimed(model: type[models.Model], token: uuid.UUID | str, work: Callable[[str], int]) -> int:
    """Run a task's `work` on the rows of `model` claimed under `token`, for django-q2.

    A cluster that is stopping gives the task's rows back unstarted. When the database goes
    away in the middle, the task waits for it (within its timeout), then gives back what
    this worker held, without counting the attempt (the outage is not the rows' fault), and
    hands it on: work resumes within a second of the database's return."""
    entry = _entry(model)
    if processes.stopping():
        leases.give_back(entry, token=token, hand_on=False)  # for the dispatcher, to a cluster that runs
        return 0
    started = time.monotonic()
    try:
        return work(token)
    except Exception as exc:
        if not database_lost(exc):
            raise
        logger.warning("Lost the database (%s); giving back what this worker holds once it is back", exc)
    if not wait_for_database(settings.Q_CLUSTER["timeout"] * 0.8 - (time.monotonic() - started)):
        logger.error("The database did not come back; the leases will free what this worker holds")
        return 0
    given = leases.give_back(entry, token=token)
    for each in leases.claimables():
        given += leases.give_back(each, holder=processes.identity(), uncount=True)
    logger.warning("Database back: gave back %s rows", len(given))
    return 0


def _entry(model: type[models.Model]) -> leases.Claimable:
    for entry in leases.claimables():
        if entry.model is model:
            return entry
    raise LookupError(f"{model.__name__} is not registered with engage.lib.leases.register")
