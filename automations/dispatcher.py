"""The dispatcher: hands due runs to the task queue the moment they are due.

django-q2's own schedules fire up to 30 s late, so delayed runs are not kept there. The
dispatcher asks the database what is due (one indexed query), claims it in batches and
enqueues one task per batch. Any number of dispatchers may run, on any machine: claims are
atomic, so each run is handed out once. Every second the loop beats in its own heartbeat
row, and every few seconds it gives back what dead task clusters held (engage.recovery), and,
if the broker lost its tasks (a Redis flush), the claims no worker started, so that their
runs and mails are handed out again within seconds, not when their leases run out.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.db.models import Min
from django.utils import timezone
from django_q.brokers import get_broker

from automations.models import Run
from automations.services import dispatch_due_runs
from engage import heartbeat, ports, recovery
from engage.lib import processes
from notifications.sendouts import dispatch_due_sendouts
from notifications.services import dispatch_due_messages

logger = logging.getLogger(__name__)

# How often a dispatcher looks for task clusters that stopped beating.
RECOVER_EVERY_SECONDS = 2.0
# Held back, the dispatcher looks again after this long: about a small batch's time, while
# every worker still has a batch waiting.
HELD_BACK_SECONDS = 0.05


def seconds_until_next_due(max_wait: float) -> float:
    next_due = Run.objects.filter(status=Run.Status.SCHEDULED).aggregate(at=Min("due_at"))["at"]
    if next_due is None:
        return max_wait
    return max(0.0, min(max_wait, (next_due - timezone.now()).total_seconds()))


def workers_backed_up(broker) -> bool:
    """Whether tasks already wait in the broker for a worker (as many as there are workers).
    Handing out more small batches then only adds a task's fixed cost to each of them; held
    back, the due runs are claimed together, in one larger batch, once the workers catch up."""
    try:
        return (broker.queue_size() or 0) >= settings.Q_CLUSTER["workers"]
    except Exception:
        return False  # a broker that cannot tell: dispatch as usual


def dispatch(broker, *, batch: int) -> int:
    """One round: claim a batch of due runs and one of due mails and hand them to workers,
    unless the workers are backed up. Returns how many were claimed."""
    if workers_backed_up(broker):
        return 0
    return dispatch_due_runs(limit=batch) + dispatch_due_messages(limit=batch)


def run_forever(stop: threading.Event, *, interval: float | None = None) -> None:
    """Dispatch until `stop` is set. The loop itself writes the dispatcher's heartbeat, so a
    loop that hangs stops beating even while its process lives."""
    interval = min(interval or settings.ENGAGE_DISPATCH_INTERVAL, heartbeat.PROCESS_EVERY_SECONDS)
    batch = settings.ENGAGE_DISPATCH_BATCH_SIZE
    beaten = process_beaten = recovered = -heartbeat.EVERY_SECONDS
    processes.take_name(heartbeat.DISPATCHER)
    broker = get_broker()
    while not stop.is_set():
        try:
            if time.monotonic() - beaten >= heartbeat.EVERY_SECONDS:
                heartbeat.beat(heartbeat.DISPATCHER)
                beaten = time.monotonic()
            if time.monotonic() - process_beaten >= heartbeat.PROCESS_EVERY_SECONDS:
                heartbeat.beat_process(heartbeat.DISPATCHER)
                process_beaten = time.monotonic()
            if time.monotonic() - recovered >= RECOVER_EVERY_SECONDS:
                recovery.give_back_dead()
                recovery.give_back_if_broker_lost(broker)
                recovered = time.monotonic()
            claimed = dispatch(broker, batch=batch)
            dispatch_due_sendouts()
            for dispatch_more in ports.due_work():
                dispatch_more(limit=batch)
            if claimed >= batch:
                continue  # more is due: do not sleep
            wait = seconds_until_next_due(interval)
            if wait == 0 and not claimed:  # due, but held back: not a busy loop meanwhile
                wait = min(interval, HELD_BACK_SECONDS)
            stop.wait(wait)
        except DatabaseError:
            logger.exception("Dispatcher lost the database; trying again in a moment")
            close_old_connections()
            stop.wait(recovery.RECONNECT_SECONDS)
    with contextlib.suppress(DatabaseError):
        heartbeat.end_process()
