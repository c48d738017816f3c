"""The chart of a sendout's opens and clicks per hour: its geometry, computed here and drawn
by the report's template as SVG."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone

PLOT_HEIGHT = 160
BAR_WIDTH = 8
HOUR_WIDTH = 2 * BAR_WIDTH + 6
LEFT = 40  # room for the axis figures
BOTTOM = 36  # room for the hours
RIGHT = 48  # room for the last hour's date
TOP = 8
MAX_HOURS = 7 * 24  # longer than this, the empty hours between are left out
LABELS_SHOWN = 12
COLOURS = {"opened": "#79aec8", "clicked": "#417690"}


@dataclass(frozen=True)
class HourCount:
    hour: datetime
    opened: int
    clicked: int


@dataclass(frozen=True)
class Bar:
    key: str
    count: int
    x: int
    y: int
    width: int
    height: int
    colour: str


@dataclass(frozen=True)
class Slot:
    hour: datetime
    opened: int
    clicked: int
    x: int
    bars: list[Bar]
    labelled: bool
    new_day: bool


@dataclass(frozen=True)
class Chart:
    slots: list[Slot]
    busiest: int
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    left: int
    axis_end: int


def with_empty_hours(hours: list[HourCount]) -> list[HourCount]:
    """The hours between the first and the last too, with nothing in them, when the span is short
    enough to draw every hour. Counted in UTC, so a change to or from summer time skips nothing."""
    if not hours:
        return []
    first = hours[0].hour.astimezone(UTC)
    span = int((hours[-1].hour.astimezone(UTC) - first).total_seconds() // 3600) + 1
    if span > MAX_HOURS:
        return hours
    known = {h.hour.astimezone(UTC): h for h in hours}
    zone = hours[0].hour.tzinfo
    slots = [first + timedelta(hours=n) for n in range(span)]
    return [known.get(at) or HourCount(hour=at.astimezone(zone), opened=0, clicked=0) for at in slots]


def bar_height(count: int, busiest: int) -> int:
    """Scaled to the busiest hour; an hour with one click still shows it."""
    if not count:
        return 0
    return max(round(count * PLOT_HEIGHT / busiest), 1)


def chart_of(hours: list[HourCount]) -> Chart | None:
    """Two bars an hour (opens, clicks), or None when there is nothing to draw."""
    hours = with_empty_hours(hours)
    if not hours:
        return None
    busiest = max(max(h.opened, h.clicked) for h in hours) or 1
    bottom = TOP + PLOT_HEIGHT
    step = math.ceil(len(hours) / LABELS_SHOWN)
    slots, previous_day = [], None
    for index, hour in enumerate(hours):
        x = LEFT + index * HOUR_WIDTH
        bars = []
        for offset, key in enumerate(("opened", "clicked")):
            count = getattr(hour, key)
            height = bar_height(count, busiest)
            bars.append(Bar(key, count, x + offset * BAR_WIDTH, bottom - height, BAR_WIDTH, height, COLOURS[key]))
        day = timezone.localtime(hour.hour).date()
        labelled = index % step == 0
        slots.append(Slot(hour.hour, hour.opened, hour.clicked, x, bars, labelled, labelled and day != previous_day))
        if labelled:
            previous_day = day
    return Chart(
        slots=slots,
        busiest=busiest,
        width=LEFT + len(hours) * HOUR_WIDTH + RIGHT,
        height=bottom + BOTTOM,
        plot_top=TOP,
        plot_bottom=bottom,
        left=LEFT,
        axis_end=LEFT + len(hours) * HOUR_WIDTH,
    )
