"""The dispatcher: hands due runs to the task queue the moment they are due.

django-q2's own schedules fire up to 30 s late, so delayed runs are not kept there. The
dispatcher asks the database what is due (one indexed query), claims it in batches and
enqueues one task per batch. Any number of dispatchers may run, on any machine: claims are
atomic, so each run is handed out once; a run whose worker died is handed out again when
its lease runs out.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.db.models import Min
from django.utils import timezone

from automations.models import Run
from automations.services import dispatch_due_runs
from engage import heartbeat, ports
from notifications.services import dispatch_due_messages

logger = logging.getLogger(__name__)


def seconds_until_next_due(max_wait: float) -> float:
    next_due = Run.objects.filter(status=Run.Status.SCHEDULED).aggregate(at=Min("due_at"))["at"]
    if next_due is None:
        return max_wait
    return max(0.0, min(max_wait, (next_due - timezone.now()).total_seconds()))


def run_forever(stop: threading.Event, *, interval: float | None = None) -> None:
    """Dispatch until `stop` is set. The loop itself writes the dispatcher's heartbeat, so a
    loop that hangs stops beating even while its process lives."""
    interval = min(interval or settings.ENGAGE_DISPATCH_INTERVAL, heartbeat.EVERY_SECONDS)
    batch = settings.ENGAGE_DISPATCH_BATCH_SIZE
    beaten = -heartbeat.EVERY_SECONDS
    while not stop.is_set():
        try:
            if time.monotonic() - beaten >= heartbeat.EVERY_SECONDS:
                heartbeat.beat(heartbeat.DISPATCHER)
                beaten = time.monotonic()
            claimed = dispatch_due_runs(limit=batch)
            claimed += dispatch_due_messages(limit=batch)
            for dispatch in ports.due_work():
                dispatch(limit=batch)
            if claimed >= batch:
                continue  # more is due: do not sleep
            stop.wait(seconds_until_next_due(interval))
        except DatabaseError:
            logger.exception("Dispatcher lost the database; trying again in a second")
            close_old_connections()
            stop.wait(1.0)
