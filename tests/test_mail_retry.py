"""A mail the server does not take for now is retried like a mail server does: 1, 2, 4 …
minutes apart, never more than ENGAGE_MAIL_RETRY_MAX_MINUTES, for ENGAGE_MAIL_RETRY_HOURS
after it was queued; then it fails, saying why. The admin shows when the next attempt is
and when the mail will give up."""

from datetime import timedelta
from itertools import pairwise

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutboundMessage
from notifications.services import RenderedMail, deliver, dispatch_due_messages, enqueue_mail
from tests.conftest import Inbox

Status = OutboundMessage.Status


def queue(organization, n: int) -> list[OutboundMessage]:
    return [
        enqueue_mail(organization=organization, to=f"reader{i}@example.com", mail=RenderedMail(subject="Hi", text="Hi"))
        for i in range(n)
    ]


def next_attempt_of_queued():
    return min(OutboundMessage.objects.filter(status=Status.QUEUED).values_list("next_attempt_at", flat=True))


@pytest.mark.django_db(transaction=True)
def test_a_mail_server_down_for_an_hour_still_gets_every_mail_when_it_comes_back(alice_org, no_smtp_server):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        messages = queue(alice_org, 3)
        deliver([m.pk for m in messages])  # connection refused
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {Status.QUEUED}

    inbox, server, attempts_at = Inbox(), None, []
    try:
        while OutboundMessage.objects.filter(status=Status.QUEUED).exists():
            at = next_attempt_of_queued()
            assert at - start < timedelta(hours=2), "the mails were not retried soon after the server came back"
            if server is None and at - start >= timedelta(hours=1):
                # The server comes back after an hour, on the same port.
                server = Controller(inbox, hostname="127.0.0.1", port=no_smtp_server)
                server.start()
            with time_machine.travel(at, tick=False):
                attempts_at.append(at)
                dispatch_due_messages()
    finally:
        if server is not None:
            server.stop()

    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {Status.SENT}
    assert sorted(m["To"] for m in inbox.messages) == [f"reader{i}@example.com" for i in range(3)]
    # Retried 1, 2, 4 … minutes apart, never more than 30 minutes: sent within half an
    # hour of the server's return, not given up after five attempts.
    gaps = [later - earlier for earlier, later in pairwise([start, *attempts_at])]
    assert gaps[0] == timedelta(minutes=1)
    assert max(gaps) == timedelta(minutes=30)
    assert attempts_at[-1] - start <= timedelta(hours=1, minutes=30)


@pytest.mark.django_db
def test_a_mail_still_refused_after_the_retry_period_fails_with_the_reason(alice_org, no_smtp_server, settings):
    settings.ENGAGE_MAIL_RETRY_HOURS = 3
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        [message] = queue(alice_org, 1)
        deliver([message.pk])
    message.refresh_from_db()
    gives_up_at = message.gives_up_at
    assert gives_up_at == message.created_at + timedelta(hours=3)

    while message.status == Status.QUEUED:
        assert message.next_attempt_at <= gives_up_at  # the last attempt falls on the end of the period
        with time_machine.travel(message.next_attempt_at, tick=False):
            assert dispatch_due_messages() == 1
        message.refresh_from_db()

    assert message.status == Status.FAILED
    assert message.attempts > 5
    assert message.error.startswith("Gave up: still not accepted 3 hours after it was queued")
    assert "Mail server unreachable" in message.error


@pytest.mark.django_db
def test_a_permanent_refusal_fails_at_once(alice_org, smtp_server):
    smtp_server.replies.append("550 5.1.1 No such user")
    [message] = queue(alice_org, 1)
    deliver([message.pk])
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, 1)
    assert message.error.startswith("SMTP 550")


@pytest.mark.django_db
def test_the_message_list_and_page_show_the_next_attempt_and_when_it_gives_up(
    client, alice, alice_org, no_smtp_server, settings
):
    settings.TIME_ZONE = "UTC"
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        [message] = queue(alice_org, 1)
        deliver([message.pk])
    message.refresh_from_db()
    client.force_login(alice)

    listing = client.get(reverse("admin:notifications_outboundmessage_changelist")).content.decode()
    page = client.get(reverse("admin:notifications_outboundmessage_change", args=[message.pk])).content.decode()

    for html in (listing, page):
        assert "Next attempt" in html and "Gives up at" in html
        assert _shown(message.next_attempt_at) in html
        assert _shown(message.gives_up_at) in html


def _shown(moment) -> str:
    """How the admin writes a time (Django's default DATETIME_FORMAT, in English)."""
    from django.utils import formats
    from django.utils.timezone import localtime

    return formats.date_format(localtime(moment), "DATETIME_FORMAT")
