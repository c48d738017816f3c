"""Who this process is, as a holder of claims, and whether it has been asked to stop.

A task cluster or a dispatcher takes a name when it starts (`take_name`), e.g.
``workers-mailhost-4711-3fa2c1``, and beats under it (engage.heartbeat). Its workers are
forked from it and inherit the name; each holds what it starts under ``<name>/<pid>``
(`identity`), so that the claims of a cluster whose heartbeat stopped can be found and
given back, and a worker can give back its own after a database outage. A process that
took no name (a web process, a shell) holds under ``<host>-<pid>/<pid>``, which no
heartbeat row names: its claims are only ever freed by their lease.

`stopping()` is a flag the cluster's main process raises on SIGTERM; its workers, forked
after it was made, see it and give back what they have not started.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import uuid

_name: str | None = None
_stop = None  # a multiprocessing.Event, shared with the processes forked after it was made


def take_name(kind: str) -> str:
    global _name
    _name = f"{kind}-{socket.gethostname()[:60]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    return _name


def name() -> str:
    return _name or f"{socket.gethostname()[:60]}-{os.getpid()}"


def identity() -> str:
    """The holder written on the claims this process starts on."""
    return f"{name()}/{os.getpid()}"


def holders_of(process_name: str) -> str:
    """The prefix shared by the holders of every process of `process_name`."""
    return f"{process_name}/"


def share_stop_flag() -> None:
    """Make the stop flag before forking the processes that should see it."""
    global _stop
    _stop = multiprocessing.get_context("fork").Event()


def request_stop() -> None:
    if _stop is not None:
        _stop.set()


def stopping() -> bool:
    return _stop is not None and _stop.is_set()
