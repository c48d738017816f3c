"""The run report: retry and replay, purging old runs, and failure digests for admins."""

from datetime import timedelta

import time_machine
from django.utils import timezone
from django_q.models import Schedule

from automations import maintenance
from automations.models import Event, Run
from automations.services import dispatch_due_runs
from contacts.models import Group
from engage.events import record_event
from tests.factories import AutomationFactory, ContactFactory, UserFactory


def failing_automation(org):
    """An automation whose group was deleted after it was saved: its runs fail."""
    group = Group.objects.create(organization=org, name="Gone")
    automation = AutomationFactory(
        organization=org, name="Welcome", job_type="add_to_group", job_params={"group": group.pk}
    )
    group.delete()
    return automation


def failed_run(org, settings) -> Run:
    failing_automation(org)
    record_event(
        organization=org, type="contact_created", contact=ContactFactory(organization=org, email="x@example.com")
    )
    dispatch_due_runs()
    run = Run.objects.get()
    assert run.status == Run.Status.FAILED
    return run


def test_retry_schedules_a_failed_run_again_and_it_can_succeed(client, alice, settings):
    run = failed_run(alice.organization, settings)
    group = Group.objects.create(organization=alice.organization, name="Back")
    run.automation.job_params = {"group": group.pk}
    run.automation.save()
    client.force_login(alice)
    client.post("/admin/automations/run/", {"action": "retry_selected", "_selected_action": [run.pk]})
    dispatch_due_runs()
    run.refresh_from_db()
    assert (run.status, run.error, run.attempts) == (Run.Status.SUCCEEDED, "", 1)
    assert group.memberships.count() == 1


def test_replay_creates_a_new_run_with_the_stored_input(alice_org, smtp_server, django_capture_on_commit_callbacks):
    automation = AutomationFactory(
        organization=alice_org,
        event_type="custom",
        event_name="x",
        job_type="add_tag",
        job_params={"tag": "{{ event.payload.tag }}"},
    )
    contact = ContactFactory(organization=alice_org)
    record_event(organization=alice_org, type="custom", name="x", contact=contact, payload={"tag": "first"})
    dispatch_due_runs()
    original = Run.objects.get(automation=automation)
    Event.objects.update(payload={"tag": "changed later"})
    with django_capture_on_commit_callbacks(execute=True):
        [replay] = maintenance.replay_runs(Run.objects.filter(pk=original.pk))
    replay.refresh_from_db()
    assert replay.replay_of == original and replay.status == Run.Status.SUCCEEDED
    assert replay.input == original.input
    assert Run.objects.count() == 2


def test_charlie_cannot_retry_alices_runs(client, alice, charlie, settings):
    run = failed_run(alice.organization, settings)
    client.force_login(charlie)
    client.post("/admin/automations/run/", {"action": "retry_selected", "_selected_action": [run.pk]})
    run.refresh_from_db()
    assert run.status == Run.Status.FAILED


def test_old_finished_runs_and_their_events_are_purged_daily(alice_org, settings):
    settings.ENGAGE_RUN_RETENTION_DAYS = 30
    assert Schedule.objects.filter(func="automations.tasks.purge_old_runs", schedule_type="D").exists()
    AutomationFactory(organization=alice_org, job_type="add_tag", job_params={"tag": "t"})
    old = timezone.now() - timedelta(days=31)
    with time_machine.travel(old):
        record_event(organization=alice_org, type="contact_created", contact=ContactFactory(organization=alice_org))
        dispatch_due_runs()
    AutomationFactory(
        organization=alice_org, event_type="manual", job_type="add_tag", job_params={"tag": "t"}, delay_unit="weeks",
        delay_value=8,
    )  # fmt: skip
    with time_machine.travel(old):  # an old event whose run is still waiting: kept
        record_event(organization=alice_org, type="manual", contact=ContactFactory(organization=alice_org))
    record_event(organization=alice_org, type="contact_created", contact=ContactFactory(organization=alice_org))
    dispatch_due_runs()
    assert maintenance.purge_old_runs() == (1, 1)  # the old finished run and its event
    assert sorted(Run.objects.values_list("status", flat=True)) == ["scheduled", "succeeded"]
    assert Event.objects.count() == 2


def test_failure_digest_is_one_mail_per_admin_listing_every_new_failure(alice, bob, settings, smtp_server):
    assert Schedule.objects.filter(func="automations.tasks.send_failure_digests").exists()
    failing_automation(alice.organization)
    for _ in range(3):
        record_event(
            organization=alice.organization,
            type="contact_created",
            contact=ContactFactory(organization=alice.organization),
        )
    dispatch_due_runs()
    assert Run.objects.filter(status="failed").count() == 3
    UserFactory(organization=alice.organization, username="ex-admin", is_active=False)
    assert maintenance.send_failure_digests() == 1  # alice only: bob is a marketer, ex-admin inactive
    [mail] = smtp_server.messages
    assert mail["To"] == alice.email
    assert "3 automation runs failed" in mail["Subject"]
    assert mail.get_body(("plain",)).get_content().count("Welcome") == 3
    assert maintenance.send_failure_digests() == 0  # nothing new: nothing sent


def test_the_run_list_shows_why_a_run_failed_or_was_skipped(client, alice, alice_org):
    from automations.models import Run
    from engage.events import record_event
    from tests.factories import AutomationFactory, ContactFactory

    AutomationFactory(organization=alice_org, event_type="manual")
    record_event(organization=alice_org, type="manual", contact=ContactFactory(organization=alice_org))
    Run.objects.update(status="failed", error="The prepared message chosen for this job no longer exists.")
    client.force_login(alice)
    assert "The prepared message chosen for this job no longer exists." in client.get("/admin/automations/run/").text


def test_favicon_requests_are_answered_without_an_error(client):
    assert client.get("/favicon.ico").status_code == 204
