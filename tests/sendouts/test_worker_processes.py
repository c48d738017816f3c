"""Group sendouts through real worker and dispatcher processes, a real SMTP server, and a
SIGKILL half-way: every recipient gets the newsletter, once (apart from the outbox's
documented resend window, which keeps the Message-ID)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import defaultdict

import pytest
from aiosmtpd.controller import Controller
from django.db.models import Count

from notifications.models import OutboundMessage, Sendout, SendoutRecipient
from notifications.sendouts import start_sendout
from notifications.services import SENT_FLUSH_SECONDS
from tests.conftest import Inbox, free_port
from tests.reliability.test_crash import kill_group, start
from tests.reliability.test_worker_processes import database_url, wait_for
from tests.sendouts.conftest import make_group, make_sendout

pytestmark = pytest.mark.django_db(transaction=True)


class SlowInbox(Inbox):
    """Accepts every mail, DELAY seconds each, so that a kill lands mid-way."""

    DELAY = 0.0

    async def handle_DATA(self, server, session, envelope):
        if self.DELAY:
            await asyncio.sleep(self.DELAY)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def sink():
    inbox = SlowInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def leases():
    """Task timeout and lease: production's by default (a busy machine needs the room)."""
    return {}


@pytest.fixture
def workers(monkeypatch, sink, leases):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    _, port = sink
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "engage.settings",
        "DEBUG": "true",
        "DATABASE_URL": database_url(),
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "Q_WORKERS": "2",
        **leases,
    }
    processes = []

    def start_workers() -> list:
        started = [start("qcluster", env=env), start("dispatcher", env=env)]
        processes.extend(started)
        return started

    yield start_workers
    for process in processes:
        if process.poll() is None:
            kill_group(process, signal.SIGTERM)
    time.sleep(0.1)


def state(sendout: Sendout, inbox) -> dict:
    """What to show when a wait runs out."""
    sendout.refresh_from_db()
    return {
        "sendout": (sendout.status, sendout.resolved_at, sendout.lease_expires_at, sendout.attempts),
        "recipients": dict(
            SendoutRecipient.objects.filter(sendout=sendout).values_list("status").annotate(n=Count("pk"))
        ),
        "mails": dict(OutboundMessage.objects.values_list("status").annotate(n=Count("pk"))),
        "received": len(inbox.messages),
    }


def all_sent(sendout: Sendout, count: int) -> bool:
    sendout.refresh_from_db()
    sent = OutboundMessage.objects.filter(sendout_recipient__sendout=sendout, status=OutboundMessage.Status.SENT)
    return sendout.status == Sendout.Status.SENT and sent.count() == count


def test_a_2000_recipient_sendout_reaches_each_member_once(alice_org, sink, workers):
    inbox, _ = sink
    sendout = make_sendout(alice_org, [make_group(alice_org, 2000)])
    workers()

    start_sendout(sendout=sendout)

    assert wait_for(lambda: all_sent(sendout, 2000), timeout=240), state(sendout, inbox)
    recipients = [m["To"] for m in inbox.messages]
    assert len(recipients) == 2000
    assert set(recipients) == {f"reader{n}@example.com" for n in range(2000)}


@pytest.mark.parametrize("leases", [{"Q_TIMEOUT": "20", "Q_RETRY": "25", "ENGAGE_LEASE_SECONDS": "30"}])
def test_sigkill_half_way_then_restart_sends_each_recipient_once(alice_org, sink, workers):
    inbox, _ = sink
    inbox.DELAY = 0.01
    count = 800
    sendout = make_sendout(alice_org, [make_group(alice_org, count)])
    first = workers()

    start_sendout(sendout=sendout)
    assert wait_for(lambda: len(inbox.messages) >= 100, timeout=120), "the sendout never started"
    for process in first:
        kill_group(process, signal.SIGKILL)
    assert len(inbox.messages) < count, "the sendout finished before the kill: nothing was tested"

    workers()
    assert wait_for(lambda: all_sent(sendout, count), timeout=240), state(sendout, inbox)

    # Exactly once in our records: one recipient row and one mail per member.
    assert SendoutRecipient.objects.filter(sendout=sendout).count() == count
    assert OutboundMessage.objects.filter(sendout_recipient__sendout=sendout).count() == count
    assert OutboundMessage.objects.count() == count
    # Everybody got it. Mails accepted but not yet recorded as sent when the workers died
    # (recorded together every SENT_FLUSH_SECONDS, per sending worker) went again, with
    # the same Message-ID, by which receivers drop the copy.
    copies = defaultdict(set)
    for message in inbox.messages:
        copies[message["To"]].add(message["Message-ID"])
    assert len(copies) == count
    assert all(len(ids) == 1 for ids in copies.values())
    window = 2 * (SENT_FLUSH_SECONDS / inbox.DELAY + 2)  # two workers
    assert len(inbox.messages) - count <= window
