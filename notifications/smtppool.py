"""SMTP connections of a sender: how many it uses at once, and those kept open between batches.

A batch of mails to one server leaves over several connections in parallel: one per
SENT_FLUSH mails of the batch, up to ENGAGE_SMTP_CONNECTIONS, or fewer for a host named
in ENGAGE_SMTP_CONNECTIONS_PER_HOST. A small batch keeps one connection, so the mails a
killed sender sends again (accepted, not yet recorded as sent) stay as few as with one.

After its batch a connection goes back here still open, and the next batch of this
process to the same server, with the same credentials and organization, takes it instead
of connecting again. One idle longer than ENGAGE_SMTP_KEEP_OPEN_SECONDS, or that does not
answer NOOP, is closed and replaced. Each worker process has its own connections.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

from django.conf import settings

from notifications.backends import EmailBackend

# A connection is opened for every this many mails of a batch (one sent-record group).
MAILS_PER_CONNECTION = 50

_idle: dict[tuple, list[tuple[float, EmailBackend]]] = {}
_lock = threading.Lock()


def lanes_for(connection: EmailBackend, mails: int) -> int:
    """How many connections a batch of `mails` to this connection's server uses."""
    cap = settings.ENGAGE_SMTP_CONNECTIONS
    per_host = settings.ENGAGE_SMTP_CONNECTIONS_PER_HOST.get((connection.host or "").lower())
    if per_host is not None:
        cap = min(cap, per_host)
    return max(1, min(cap, mails // MAILS_PER_CONNECTION))


def _key(connection: EmailBackend) -> tuple:
    return (
        connection.host, connection.port, connection.username, connection.password, connection.use_tls,
        connection.use_ssl, connection.timeout, connection.organization_id, connection.ca_file,
    )  # fmt: skip


def take(first: EmailBackend, count: int, more: Callable[[], EmailBackend]) -> list[EmailBackend]:
    """Up to `count` open connections to `first`'s server: idle ones kept from earlier
    batches, then new ones (`more()` makes one). Raises what opening `first` raises when
    no connection at all can be had; a further one that fails to open is left out."""
    key = _key(first)
    with _lock:
        idle = _idle.pop(key, [])
    taken: list[EmailBackend] = []
    for since, connection in idle:
        fresh = time.monotonic() - since < settings.ENGAGE_SMTP_KEEP_OPEN_SECONDS
        if len(taken) < count and fresh and _alive(connection):
            taken.append(connection)
        else:
            _close(connection)
    if not taken:
        first.open()
        taken.append(first)
    while len(taken) < count:
        connection = more()
        try:
            connection.open()
        except Exception:
            break  # the server takes no more connections now: send over those we have
        taken.append(connection)
    return taken


def give_back(connections: list[EmailBackend]) -> None:
    """Keep these connections open for the next batch (those still open; as many as a
    batch may use), close the others."""
    for connection in connections:
        if connection.connection is None:
            continue
        key = _key(connection)
        with _lock:
            idle = _idle.setdefault(key, [])
            if len(idle) < settings.ENGAGE_SMTP_CONNECTIONS:
                idle.append((time.monotonic(), connection))
                continue
        _close(connection)


def close_all() -> None:
    """Close every idle connection (a process that stops sending, tests)."""
    with _lock:
        idle = [connection for connections in _idle.values() for _, connection in connections]
        _idle.clear()
    for connection in idle:
        _close(connection)


def _alive(connection: EmailBackend) -> bool:
    try:
        return connection.connection is not None and connection.connection.noop()[0] == 250
    except Exception:
        return False


def _close(connection: EmailBackend) -> None:
    with contextlib.suppress(Exception):
        connection.close()
