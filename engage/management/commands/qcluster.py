"""django-q2's qcluster, with a heartbeat per cluster, recovery and a graceful stop.

The main process takes a name (engage.lib.processes) and keeps it for the cluster's
processes, which it forks. Before it starts them it gives back the claims of dead clusters
and the claims nobody started (their tasks may have died with a killed cluster); then it
beats every second and, every few seconds, gives back what dead clusters held and, if the
broker lost its tasks (a Redis flush), the claims nobody started.

SIGTERM (or SIGINT) to this main process stops gracefully: the workers finish the run or the
mail in hand and give the rest back, the cluster stops, and whatever still runs after
ENGAGE_STOP_SECONDS is killed and given back. django-q2's sentinel, forked from here, does
not stop gracefully on its own SIGTERM: a service manager should signal this process only
(systemd: KillMode=mixed).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections, connections
from django.utils import timezone

from engage import heartbeat, recovery
from engage.lib import processes

logger = logging.getLogger(__name__)

RECOVER_EVERY_SECONDS = 2.0


class Command(BaseCommand):
    help = "Start the task cluster (django-q2), with a heartbeat, recovery and a graceful stop."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--run-once", action="store_true", help="Start, then stop at once.")

    def handle(self, *args, run_once: bool = False, **options) -> None:
        from django_q.brokers import get_broker
        from django_q.cluster import Cluster

        stop = threading.Event()
        started = timezone.now()
        processes.take_name(heartbeat.WORKERS)
        processes.share_stop_flag()
        broker = get_broker()
        _beat_and_recover(broker, at_start=started)
        # The cluster's processes are forked from this one: they must not share its connection.
        connections.close_all()
        cluster = Cluster()
        for sig in (signal.SIGTERM, signal.SIGINT):  # instead of the cluster's own handlers
            signal.signal(sig, lambda *_: stop.set())
        cluster.start()
        if run_once:
            stop.set()
        recovered = time.monotonic()
        while not stop.wait(heartbeat.PROCESS_EVERY_SECONDS) and cluster.sentinel.is_alive():
            due = time.monotonic() - recovered >= RECOVER_EVERY_SECONDS
            _beat_and_recover(broker, recover=due)
            if due:
                recovered = time.monotonic()
        _stop(cluster)


def _beat_and_recover(broker, *, recover: bool = True, at_start=None) -> None:
    """One beat; give back what dead clusters held, and what nobody started if the broker
    lost its tasks (and, at start, what nobody started before)."""
    try:
        heartbeat.beat_process(heartbeat.WORKERS)
        if recover:
            recovery.give_back_dead()
            recovery.give_back_if_broker_lost(broker)
        if at_start is not None:
            recovery.give_back_unstarted(at_start)
    except DatabaseError as exc:
        logger.warning("Task cluster cannot reach the database (%s); trying again", exc)
    finally:
        close_old_connections()


def _stop(cluster) -> None:
    """Stop within ENGAGE_STOP_SECONDS, giving back whatever is not finished."""
    processes.request_stop()  # the workers give back what they have not started
    if cluster.sentinel.is_alive():
        cluster.stop_event.set()
        cluster.sentinel.join(settings.ENGAGE_STOP_SECONDS)
    if cluster.sentinel.is_alive():
        logger.warning("Task cluster did not stop within %s s; killing its processes", settings.ENGAGE_STOP_SECONDS)
        for pid in [*_descendants(cluster.sentinel.pid), cluster.sentinel.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        cluster.sentinel.join(5)
    with contextlib.suppress(DatabaseError):
        # Killed mid-run: the attempt counts, as after any crash.
        recovery.give_back_mine(uncount=False)
        heartbeat.end_process()


def _descendants(pid: int) -> list[int]:
    """The processes below `pid` (Linux /proc; elsewhere none are found)."""
    parents: dict[int, int] = {}
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError), open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, of in parents.items() if of == parent]
        found += children
        frontier += children
    return found
