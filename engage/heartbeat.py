"""Heartbeats: each long-running kind of process says every few seconds that it is alive,
so that /readyz can tell a load balancer or orchestrator whether work is being done.

The dispatcher's loop writes a row of its own (one per kind, the newest beat of any process of
that kind wins). The task cluster needs none: django-q2's sentinel already saves its status
to the broker every half second with a 3-second expiry (django_q.status.Stat), which is
read here.

Besides, every task cluster and dispatcher beats every second in a row of its own
(ProcessHeartbeat, under its name from engage.lib.processes): that is how a dead one is told
from a live one within seconds, and its claims given back (engage.recovery).
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django_q.conf import Conf
from django_q.status import Stat

from engage.lib import processes
from engage.models import Heartbeat, ProcessHeartbeat

logger = logging.getLogger(__name__)

DISPATCHER = "dispatcher"
WORKERS = "workers"
EVERY_SECONDS = 10.0
# A kind whose newest beat is older than this is not alive.
STALE_AFTER = timedelta(minutes=1)
# How often a task cluster or dispatcher writes its own row.
PROCESS_EVERY_SECONDS = 1.0
# The management command each kind of process runs.
KIND_COMMANDS = {WORKERS: "qcluster", DISPATCHER: "dispatcher"}


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


def beat_process(kind: str) -> None:
    """This process (named by processes.take_name) is alive."""
    now = timezone.now()
    updated = ProcessHeartbeat.objects.filter(name=processes.name()).update(beat_at=now)
    if not updated:
        ProcessHeartbeat.objects.update_or_create(
            name=processes.name(),
            defaults={
                "kind": kind,
                "host": socket.gethostname()[:100],
                "pid": os.getpid(),
                "started_at": now,
                "beat_at": now,
            },
        )


def end_process() -> None:
    """This process stops cleanly: its row goes (after it gave back what it held)."""
    ProcessHeartbeat.objects.filter(name=processes.name()).delete()


def stale_processes() -> list[str]:
    """Names of processes silent for ENGAGE_PROCESS_STALE_SECONDS: taken for dead. One on
    this machine whose process still runs is not (it may only be slow to write, e.g. waiting
    for SQLite's lock on a busy machine)."""
    silent_since = timezone.now() - timedelta(seconds=settings.ENGAGE_PROCESS_STALE_SECONDS)
    silent = ProcessHeartbeat.objects.filter(beat_at__lt=silent_since).values_list("name", "kind", "host", "pid")
    here = socket.gethostname()[:100]
    return [name for name, kind, host, pid in silent if not (host == here and _runs(pid, kind))]


def _runs(pid: int, kind: str) -> bool:
    """Whether process `pid` runs here as a process of `kind` (Linux /proc; elsewhere we
    cannot tell, and go by the heartbeat alone)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            command = cmdline.read()
    except OSError:
        return False
    return KIND_COMMANDS.get(kind, kind).encode() in command
