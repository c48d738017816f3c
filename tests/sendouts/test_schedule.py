"""A sendout scheduled on another time zone's wall clock starts at that instant."""

from __future__ import annotations

from datetime import date, time

import pytest
import time_machine
from django.core import mail

from notifications.models import Sendout
from notifications.sendouts import dispatch_due_sendouts, local_moment, schedule_sendout
from tests.sendouts.conftest import make_group, make_sendout

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_fires_at_nine_in_new_york_not_before(alice_org):
    sendout = make_sendout(alice_org, [make_group(alice_org, 3)])
    nine_in_new_york = local_moment(date(2026, 3, 2), time(9, 0), "America/New_York")  # 14:00 UTC
    schedule_sendout(sendout=sendout, at=nine_in_new_york, time_zone="America/New_York")

    with time_machine.travel("2026-03-02T13:59:59Z", tick=False):
        dispatch_due_sendouts()
    sendout.refresh_from_db()
    assert sendout.status == Sendout.Status.SCHEDULED
    assert mail.outbox == []

    with time_machine.travel("2026-03-02T14:00:00Z", tick=False):
        dispatch_due_sendouts()
    sendout.refresh_from_db()
    assert sendout.status == Sendout.Status.SENT
    assert len(mail.outbox) == 3


def test_a_cancelled_schedule_never_fires(alice_org):
    from notifications.sendouts import cancel_sendout

    sendout = make_sendout(alice_org, [make_group(alice_org, 2)])
    schedule_sendout(sendout=sendout, at=local_moment(date(2026, 3, 2), time(9, 0), "Europe/Berlin"))
    cancel_sendout(sendout=sendout)

    with time_machine.travel("2026-03-03T00:00:00Z", tick=False):
        dispatch_due_sendouts()
    assert mail.outbox == []
