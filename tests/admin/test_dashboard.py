"""The dashboard on the admin's index: the figures are the database's, of one organization."""

from datetime import timedelta

import pytest
from django.utils import timezone

from automations.models import Run
from contacts.models import ContactImport, Suppression
from notifications.models import OutboundMessage
from ops.dashboard import build_dashboard, chart_bars
from tests.admin.test_runs_list import make_run


def mail(organization, status: str, days_ago: int = 0) -> OutboundMessage:
    message = OutboundMessage.objects.create(
        organization=organization, from_email="a@example.com", recipient="b@example.com", subject="Hi", status=status
    )
    OutboundMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    return message


@pytest.fixture
def alice_data(alice_org):
    for status in ("sent", "delivered", "opened", "failed", "bounced", "suppressed", "queued"):
        mail(alice_org, status)
    mail(alice_org, "sent", days_ago=3)
    mail(alice_org, "sent", days_ago=40)  # outside the 30 days
    Suppression.objects.create(organization=alice_org, address="x@example.com", reason=Suppression.Reason.HARD_BOUNCE)
    ContactImport.objects.create(organization=alice_org, file_name="alice-list.csv", status="finished")
    failing = make_run(alice_org, Run.Status.FAILED, "boom")
    make_run(alice_org, Run.Status.FAILED, "boom")
    make_run(alice_org, Run.Status.SUCCEEDED)
    return failing


@pytest.fixture
def charlie_data(charlie_org):
    for _ in range(3):
        mail(charlie_org, "failed")
    make_run(charlie_org, Run.Status.FAILED, "charlie's secret failure")
    ContactImport.objects.create(organization=charlie_org, file_name="charlie-list.csv", status="finished")


def test_the_figures_count_the_organizations_rows(alice_org, alice_data, charlie_data):
    dashboard = build_dashboard(alice_org)
    totals = {figure.key: figure.count for figure in dashboard.mail_totals}
    assert totals == {"sent": 4, "failed": 2, "suppressed": 1, "waiting": 1}
    assert dashboard.days[-1].total == 7 and dashboard.days[-4].total == 1 and len(dashboard.days) == 30
    runs = {figure.key: figure.count for figure in dashboard.runs}
    assert runs["failed"] == 2 and runs["succeeded"] == 1 and runs["scheduled"] == 0
    assert {figure.key: figure.count for figure in dashboard.suppressions}["hard_bounce"] == 1
    assert [i.file_name for i in dashboard.imports] == ["alice-list.csv"]
    assert all(figure.count == 1 for figure in dashboard.failing) and len(dashboard.failing) == 2


def test_the_chart_stacks_each_days_statuses_scaled_to_the_busiest_day(alice_org, alice_data):
    bars = chart_bars(build_dashboard(alice_org).days, height=140)
    today = bars[-1]
    assert sum(segment.height for segment in today.segments) == 140
    assert [segment.key for segment in today.segments] == ["sent", "failed", "suppressed", "waiting"]
    assert today.segments[0].height == 60  # 3 of 7 sent


def test_each_figure_links_to_the_list_that_shows_the_same_rows(client, alice, alice_data, charlie_data):
    client.force_login(alice)
    dashboard = build_dashboard(alice.organization)
    [worst, _] = dashboard.failing
    page = client.get(worst.url)
    assert list(page.context["cl"].result_list) == list(Run.objects.filter(automation_id=worst.key, status="failed"))
    failed = next(f for f in dashboard.mail_totals if f.key == "failed")
    assert client.get(failed.url).context["cl"].result_count == failed.count
    today = dashboard.days[-1]
    assert client.get(today.url).context["cl"].result_count == today.total


def test_bob_sees_his_organizations_dashboard_and_nothing_of_charlies(client, bob, alice_data, charlie_data):
    client.force_login(bob)
    page = client.get("/admin/").text
    assert 'id="dashboard"' in page and "alice-list.csv" in page
    assert "charlie-list.csv" not in page and "Charlie Org" not in page
    assert 'data-figure="mails-failed"><strong class="count">2<' in page


def test_charlie_sees_only_his_own(client, charlie, alice_data, charlie_data):
    client.force_login(charlie)
    page = client.get("/admin/").text
    assert "charlie-list.csv" in page and "alice-list.csv" not in page
    assert 'data-figure="mails-failed"><strong class="count">3<' in page


def test_a_host_administrator_chooses_the_organization(client, host_admin, alice_org, alice_data, charlie_data):
    client.force_login(host_admin)
    assert 'id="dashboard"' not in client.get("/admin/").text
    page = client.get(f"/admin/?organization={alice_org.pk}").text
    assert "alice-list.csv" in page and "charlie-list.csv" not in page
    failed = build_dashboard(alice_org).failing[0]
    assert len(client.get(failed.url).context["cl"].result_list) == 1  # not charlie's


def test_closed_days_are_counted_once_and_recounted_by_the_hourly_task(alice_org, charlie_org):
    from ops.dashboard import recount_mail_days
    from ops.models import MailDay

    old = mail(alice_org, "sent", days_ago=2)
    mail(charlie_org, "sent", days_ago=2)
    build_dashboard(alice_org)
    assert MailDay.objects.filter(organization=alice_org).count() == 29  # every closed day, empty ones too
    OutboundMessage.objects.filter(pk=old.pk).update(status="bounced")  # tracking, days later
    assert build_dashboard(alice_org).days[-3].counts["sent"] == 1  # as counted
    assert recount_mail_days() == 2
    assert build_dashboard(alice_org).days[-3].counts == {"sent": 0, "failed": 1, "suppressed": 0, "waiting": 0}


def test_today_is_always_counted_live(alice_org):
    build_dashboard(alice_org)
    mail(alice_org, "queued")
    assert build_dashboard(alice_org).days[-1].counts["waiting"] == 1
