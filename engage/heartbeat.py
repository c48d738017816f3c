"""Heartbeats: each long-running kind of process says every few seconds that it is alive,
so that /readyz can tell a load balancer or orchestrator whether work is being done.

The dispatcher's loop writes a row of its own (one per kind, the newest beat of any process of
that kind wins). The task cluster needs none: django-q2's sentinel already saves its status
to the broker every half second with a 3-second expiry (django_q.status.Stat), which is
read here.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone
from django_q.conf import Conf
from django_q.status import Stat

from engage.models import Heartbeat

logger = logging.getLogger(__name__)

DISPATCHER = "dispatcher"
WORKERS = "workers"
EVERY_SECONDS = 10.0
# A kind whose newest beat is older than this is not alive.
STALE_AFTER = timedelta(minutes=1)


def beat(kind: str) -> None:
    Heartbeat.objects.update_or_create(kind=kind, defaults={"beat_at": timezone.now()})


def last_beats() -> dict[str, datetime | None]:
    """The newest beat of the dispatcher and of the task cluster (None: never, or gone)."""
    beats: dict[str, datetime | None] = dict.fromkeys((DISPATCHER, WORKERS))
    beats.update(Heartbeat.objects.filter(kind=DISPATCHER).values_list("kind", "beat_at"))
    beats[WORKERS] = _cluster_beat()
    return beats


def _cluster_beat() -> datetime | None:
    stamps = [stat.timestamp for stat in Stat.get_all() if stat.status != Conf.STOPPED]
    return max(stamps, default=None)


def is_fresh(at: datetime | None) -> bool:
    return at is not None and timezone.now() - at <= STALE_AFTER
