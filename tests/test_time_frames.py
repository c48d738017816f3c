"""Time frames: start and end dates, execution days and holidays, in the automation's zone."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from automations.models import Holiday, Run
from engage.events import record_event
from tests.factories import AutomationFactory, ContactFactory

ZURICH = ZoneInfo("Europe/Zurich")
FRIDAY_14_30 = datetime(2026, 11, 27, 14, 30, tzinfo=ZURICH)  # a Friday


def due_at(org, **automation) -> Run:
    AutomationFactory(organization=org, **automation)
    record_event(organization=org, type="contact_created", contact=ContactFactory(organization=org))
    return Run.objects.get()


@time_machine.travel(FRIDAY_14_30, tick=False)
def test_a_run_due_on_an_excluded_day_moves_to_the_next_allowed_day_same_time(alice_org):
    run = due_at(alice_org, delay_unit="days", delay_value=1, execution_days=[0, 1, 2, 3, 4])  # due Saturday
    assert run.due_at.astimezone(ZURICH) == datetime(2026, 11, 30, 14, 30, tzinfo=ZURICH)  # Monday


@time_machine.travel(FRIDAY_14_30, tick=False)
def test_execution_days_are_counted_in_the_automations_time_zone(alice_org):
    # 23:30 on Friday in Zurich is already Saturday in Tokyo.
    run = due_at(alice_org, delay_unit="hours", delay_value=9, execution_days=[4], time_zone="Asia/Tokyo")
    local = run.due_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert local.weekday() == 4 and local.date() == date(2026, 12, 4)


@time_machine.travel(FRIDAY_14_30, tick=False)
def test_never_on_holidays(alice_org):
    Holiday.objects.create(organization=alice_org, date=date(2026, 11, 28), name="Day off")
    run = due_at(alice_org, delay_unit="days", delay_value=1, holidays="never")
    assert run.due_at.astimezone(ZURICH).date() == date(2026, 11, 29)


@time_machine.travel(FRIDAY_14_30, tick=False)
def test_only_on_holidays(alice_org):
    Holiday.objects.create(organization=alice_org, date=date(2026, 12, 25), name="Christmas")
    run = due_at(alice_org, holidays="only")
    assert run.due_at.astimezone(ZURICH) == datetime(2026, 12, 25, 14, 30, tzinfo=ZURICH)


@time_machine.travel(FRIDAY_14_30, tick=False)
def test_another_organizations_holidays_do_not_count(alice_org, charlie_org):
    Holiday.objects.create(organization=charlie_org, date=date(2026, 11, 28), name="Theirs")
    run = due_at(alice_org, delay_unit="days", delay_value=1, holidays="never")
    assert run.due_at.astimezone(ZURICH).date() == date(2026, 11, 28)


@time_machine.travel(FRIDAY_14_30, tick=False)
def test_events_outside_start_and_end_dates_start_nothing(alice_org):
    AutomationFactory(organization=alice_org, starts_on=date(2026, 12, 1))
    AutomationFactory(organization=alice_org, ends_on=date(2026, 11, 26))
    record_event(organization=alice_org, type="contact_created", contact=ContactFactory(organization=alice_org))
    assert not Run.objects.exists()


@time_machine.travel(FRIDAY_14_30, tick=False)
def test_a_run_pushed_past_the_end_date_is_skipped_with_the_reason(alice_org):
    run = due_at(alice_org, ends_on=date(2026, 11, 29), execution_days=[0])
    assert run.status == Run.Status.SKIPPED
    assert "before its end date" in run.error


def test_run_on_a_dst_change_day_keeps_the_wall_clock_time(alice_org):
    with time_machine.travel(datetime(2027, 3, 27, 9, 0, tzinfo=ZURICH), tick=False):  # Saturday before DST
        run = due_at(alice_org, delay_unit="days", delay_value=1, execution_days=[0])
    assert run.due_at.astimezone(ZURICH) == datetime(2027, 3, 29, 9, 0, tzinfo=ZURICH)
    assert run.due_at.astimezone(ZURICH).utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"starts_on": date(2026, 1, 1), "ends_on": date(2031, 6, 1)}, "ends_on"),
        ({"starts_on": date(2026, 1, 2), "ends_on": date(2026, 1, 1)}, "ends_on"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"execution_days": [7]}, "execution_days"),
    ],
)
def test_time_frame_validation(alice_org, fields, error_field):
    automation = AutomationFactory.build(organization=alice_org, **fields)
    with pytest.raises(ValidationError) as error:
        automation.full_clean()
    assert error_field in error.value.message_dict


def test_admin_saves_execution_days_as_weekday_numbers(client, alice):
    from automations.models import Automation
    from tests.test_automation_rules import ADD_URL, form_data

    client.force_login(alice)
    data = form_data(time_zone="Europe/Zurich", holidays="never", execution_days=["0", "2"], starts_on="", ends_on="")
    response = client.post(ADD_URL, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Automation.objects.get().execution_days == [0, 2]
