"""The report of a group sendout in a real browser: the progress bar moves while it sends,
the chart of opens and clicks is drawn as they come in, and the final counts show when it is done."""

import itertools
import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from notifications.models import OutboundMessage, Sendout, TrackingEvent
from notifications.sendouts import fan_out_batch, finish, resolve
from tests.browser.admin_pages import log_in_to_admin
from tests.factories import UserFactory
from tests.sendouts.conftest import make_group, make_sendout

pytestmark = pytest.mark.django_db(transaction=True)
_events = itertools.count()


def test_the_report_shows_progress_and_the_final_counts(page, alice_org):
    UserFactory(username="bob", organization=alice_org, role="marketer", password="correct horse battery staple")
    sendout = make_sendout(alice_org, [make_group(alice_org, 10)])
    Sendout.objects.filter(pk=sendout.pk).update(status=Sendout.Status.SENDING, started_at=timezone.now())
    sendout.refresh_from_db()
    resolve(sendout)

    log_in_to_admin(page)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"/admin/notifications/sendout/{sendout.pk}/report/")
    assert page.locator("#report-done").text_content() == "0"
    expect(page.locator("#report-timeline")).to_have_text("No opens or clicks yet.")

    fan_out_batch(sendout, size=4)  # four mails go out (tasks run inline here)
    expect(page.locator("#report-done")).to_have_text("4")
    assert page.locator("#report-progress").evaluate("bar => bar.value") == 40

    track(sendout, "opened", 3)
    expect(page.locator("#report-timeline rect.bar-opened")).to_have_attribute("data-value", "3")

    fan_out_batch(sendout, size=6)
    track(sendout, "opened", 5)
    track(sendout, "clicked", 2)
    token = uuid.uuid4()
    Sendout.objects.filter(pk=sendout.pk).update(claim_token=token)
    finish(sendout, token)
    expect(page.locator("#report-status")).to_have_text("sent")
    expect(page.locator("[data-count=sent]")).to_have_text("10")
    assert page.locator("#report-progress").evaluate("bar => bar.value") == 100
    expect(page.locator("#report-timeline rect.bar-opened")).to_have_attribute("data-value", "8")
    expect(page.locator("#report-timeline rect.bar-clicked")).to_have_attribute("data-value", "2")
    assert page.locator("#report-timeline svg").get_attribute("role") == "img"
    assert page.locator("#report-timeline rect.bar-clicked").bounding_box()["height"] > 0
    assert errors == []


def track(sendout: Sendout, kind: str, times: int) -> None:
    """`times` of the sent mails were opened (or clicked), all within the same hour."""
    moment = sendout.started_at
    for message in OutboundMessage.objects.filter(sendout_recipient__sendout=sendout).order_by("pk")[:times]:
        TrackingEvent.objects.create(
            organization=sendout.organization, message=message, esp="engage",
            event_id=f"{kind}-{next(_events)}", event_type=kind, occurred_at=moment,
        )  # fmt: skip
