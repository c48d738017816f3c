"""When a run may execute: an automation's start and end dates, execution days and
holidays, in the automation's own time zone.

A run due on a day that is not allowed moves to the next allowed day, at the same local
time of day. Whether it may run at all (start and end dates) is decided by the event's
time (starts_on) and by the moved due time (ends_on).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_noop

from automations.models import Automation, Holiday
from engage.lib import memo
from engage.notes import note, sentence

LOOKAHEAD_DAYS = 800  # further than any weekday/holiday rule can push a run

NO_ALLOWED_DAY = sentence(gettext_noop("No allowed day for “%(automation)s” before its end date."))


class OutsideTimeFrame(Exception):
    pass


def add_delay(automation: Automation, moment: datetime) -> datetime:
    """`moment` plus the automation's delay. Days and weeks are calendar days in the
    automation's time zone (9:00 plus one day is 9:00 the next day, also across a daylight
    saving change); minutes and hours are elapsed time."""
    if automation.delay_unit not in {Automation.DelayUnit.DAYS, Automation.DelayUnit.WEEKS}:
        return moment + automation.delay
    zone = ZoneInfo(automation.time_zone)
    wall_clock = moment.astimezone(zone).replace(tzinfo=None) + automation.delay
    return wall_clock.replace(tzinfo=zone)


def in_date_range(automation: Automation, moment: datetime) -> bool:
    """Whether an event at `moment` falls between the automation's start and end dates."""
    day = moment.astimezone(ZoneInfo(automation.time_zone)).date()
    return not (automation.starts_on and day < automation.starts_on) and not (
        automation.ends_on and day > automation.ends_on
    )


def is_allowed_day(automation: Automation, day: date, holidays: set[date]) -> bool:
    if automation.execution_days and day.weekday() not in automation.execution_days:
        return False
    if automation.holidays == Automation.Holidays.NEVER:
        return day not in holidays
    if automation.holidays == Automation.Holidays.ONLY:
        return day in holidays
    return True


def apply_time_frame(automation: Automation, due_at: datetime) -> datetime:
    """The first allowed moment at or after `due_at`. Raises OutsideTimeFrame when it
    falls after the automation's end date (or no allowed day comes)."""
    zone = ZoneInfo(automation.time_zone)
    local = due_at.astimezone(zone)
    holidays = _holidays(automation, local.date())
    for offset in range(LOOKAHEAD_DAYS):
        day = local.date() + timedelta(days=offset)
        if automation.ends_on and day > automation.ends_on:
            break
        if is_allowed_day(automation, day, holidays):
            if offset == 0:
                return due_at
            # Same wall-clock time on the allowed day (DST-safe: built from the local date).
            return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=zone)
    raise OutsideTimeFrame(note(NO_ALLOWED_DAY, automation=automation.name))


def _holidays(automation: Automation, start: date) -> set[date]:
    """The organization's holidays from `start` on; read once per batch and day (a bulk
    ingest schedules a thousand runs at once)."""
    if automation.holidays == Automation.Holidays.ALWAYS:
        return set()
    return memo.remembered(
        ("holidays", automation.organization_id, start),
        lambda: set(
            Holiday.objects.filter(
                organization_id=automation.organization_id,
                date__gte=start,
                date__lte=start + timedelta(days=LOOKAHEAD_DAYS),
            ).values_list("date", flat=True)
        ),
    )
