"""The report's chart of opens and clicks per hour: scaled to the busiest hour, drawn from the
sendout's own tracking events, and a sentence instead when there are none."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutboundMessage, Sendout, TrackingEvent
from notifications.report_chart import PLOT_HEIGHT, HourCount, chart_of
from notifications.sendouts import start_sendout
from tests.sendouts.conftest import make_group, make_sendout

_events = itertools.count()


def at(hour: int, day: int = 2, month: int = 3) -> datetime:
    return timezone.localtime(datetime(2026, month, day, hour, tzinfo=UTC))


def heights(chart) -> list[tuple[int, int]]:
    return [tuple(bar.height for bar in slot.bars) for slot in chart.slots]


def test_the_bars_are_scaled_to_the_busiest_hour_and_a_quiet_hour_is_drawn_empty():
    chart = chart_of([HourCount(at(9), opened=4, clicked=2), HourCount(at(11), opened=1, clicked=0)])

    assert [slot.hour for slot in chart.slots] == [at(9), at(10), at(11)]
    assert heights(chart) == [(PLOT_HEIGHT, PLOT_HEIGHT // 2), (0, 0), (PLOT_HEIGHT // 4, 0)]
    assert chart.busiest == 4 and [slot.new_day for slot in chart.slots] == [True, False, False]
    assert all(bar.y + bar.height == chart.plot_bottom for slot in chart.slots for bar in slot.bars)


def test_an_hour_with_one_click_is_still_visible():
    chart = chart_of([HourCount(at(9), opened=1000, clicked=0), HourCount(at(10), opened=0, clicked=1)])

    assert heights(chart) == [(PLOT_HEIGHT, 0), (0, 1)]


def test_the_change_to_summer_time_skips_no_hour_and_adds_none():
    # In Zurich 01:00 UTC on 29 March 2026 is when 02:00 becomes 03:00.
    chart = chart_of([HourCount(at(0, 29), opened=1, clicked=0), HourCount(at(2, 29), opened=1, clicked=0)])

    assert [timezone.localtime(slot.hour).hour for slot in chart.slots] == [1, 3, 4]


def test_nothing_to_draw_without_opens_or_clicks():
    assert chart_of([]) is None


@pytest.mark.django_db(transaction=True)
class TestTheReportPage:
    def sent(self, organization) -> Sendout:
        sendout = make_sendout(organization, [make_group(organization, 3, name=f"Readers {organization.slug}")])
        start_sendout(sendout=sendout)
        return sendout

    def track(self, sendout: Sendout, kind: str, moment: datetime, times: int) -> None:
        message = OutboundMessage.objects.filter(sendout_recipient__sendout=sendout).first()
        for _ in range(times):
            TrackingEvent.objects.create(
                organization=sendout.organization, message=message, esp="engage",
                event_id=f"chart-{next(_events)}", event_type=kind, occurred_at=moment,
            )  # fmt: skip

    def page(self, client, sendout: Sendout, name: str = "report") -> str:
        return client.get(reverse(f"admin:notifications_sendout_{name}", args=[sendout.pk])).content.decode()

    def test_the_chart_counts_the_sendouts_own_opens_and_clicks(self, client, bob, alice_org, charlie_org):
        sendout = self.sent(alice_org)
        self.track(sendout, "opened", at(9), 3)
        self.track(sendout, "clicked", at(9), 1)
        self.track(sendout, "opened", at(11), 2)
        self.track(self.sent(charlie_org), "opened", at(10), 7)  # another organization's
        client.force_login(bob)

        page = self.page(client, sendout)

        opened = re.findall(r'class="bar-opened" data-value="(\d+)"', page)
        clicked = re.findall(r'class="bar-clicked" data-value="(\d+)"', page)
        assert (opened, clicked) == (["3", "0", "2"], ["1", "0", "0"])
        assert "<title>Opens and clicks per hour" not in page and 'role="img"' in page
        assert "<td>3</td><td>1</td>" in page  # the numbers, for those who cannot see the chart
        assert self.page(client, sendout, "report_chart").startswith('<div id="report-timeline">')

    def test_without_opens_or_clicks_it_says_so(self, client, bob, alice_org):
        sendout = self.sent(alice_org)
        client.force_login(bob)

        page = self.page(client, sendout)

        assert "No opens or clicks yet." in page and "timeline-chart" not in page

    def test_the_chart_speaks_german(self, client, bob, alice_org):
        sendout = self.sent(alice_org)
        self.track(sendout, "clicked", at(9), 1)
        client.force_login(bob)

        page = client.get(reverse("admin:notifications_sendout_report", args=[sendout.pk]), HTTP_ACCEPT_LANGUAGE="de")

        assert "Öffnungen und Klicks pro Stunde" in page.content.decode()
