"""The automations list: each automation in words, with its runs lately, switched on and
off in bulk, and a warning when two of them send a password on the same event."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from automations.models import Automation, Run
from contacts.models import Selection
from tests.admin.test_runs_list import make_run
from tests.factories import AutomationFactory
from tests.test_automation_rules import ADD_URL, form_data

LIST = "/admin/automations/automation/"


def test_an_automation_reads_as_event_wait_whom_job(client, bob):
    customers = Selection.objects.create(organization=bob.organization, name="Customers", definition={})
    AutomationFactory(
        organization=bob.organization, name="Welcome", selection=customers, delay_unit="days", delay_value=2
    )
    client.force_login(bob)
    page = client.get(LIST).text
    assert "Contact created → 2\xa0days → Customers → Send new password to contact" in page


def test_runs_and_failures_of_the_last_seven_days(client, bob):
    failing = make_run(bob.organization, Run.Status.FAILED, "boom")
    for _ in range(3):
        Run.objects.create(
            organization=bob.organization, automation=failing.automation, event=failing.event,
            target_key=f"x{_}", status=Run.Status.SUCCEEDED, due_at=failing.due_at,
        )  # fmt: skip
    client.force_login(bob)
    response = client.get(LIST)
    row = response.context["cl"].result_list[0]
    assert (row.runs_recent, row.failed_recent) == (4, 1)
    assert row.last_run_at is not None
    assert "1 (25 %)" in response.text
    assert f"?automation__id__exact={failing.automation.pk}&amp;status__exact=failed" in response.text


def test_the_list_needs_the_same_queries_for_one_automation_or_many(client, bob):
    client.force_login(bob)
    make_run(bob.organization, Run.Status.FAILED)
    with CaptureQueriesContext(connection) as one:
        client.get(LIST)
    for _ in range(5):
        make_run(bob.organization, Run.Status.SUCCEEDED)
    with CaptureQueriesContext(connection) as six:
        client.get(LIST)
    assert len(six.captured_queries) == len(one.captured_queries)


def test_bulk_switch_on_and_off(client, bob):
    automations = [AutomationFactory(organization=bob.organization, is_active=False) for _ in range(2)]
    client.force_login(bob)
    ids = [a.pk for a in automations]
    client.post(LIST, {"action": "activate_selected", "_selected_action": ids})
    assert Automation.objects.filter(is_active=True).count() == 2
    client.post(LIST, {"action": "deactivate_selected", "_selected_action": ids[:1]})
    assert list(Automation.objects.filter(is_active=True).values_list("pk", flat=True)) == ids[1:]


def test_charlie_cannot_switch_alices_automations(client, charlie, alice_org):
    automation = AutomationFactory(organization=alice_org, is_active=False)
    client.force_login(charlie)
    client.post(LIST, {"action": "activate_selected", "_selected_action": [automation.pk]})
    automation.refresh_from_db()
    assert not automation.is_active


def test_a_second_password_automation_on_the_event_is_warned_about_and_marked(client, alice, charlie_org):
    AutomationFactory(organization=alice.organization, name="Welcome", job_type="send_password_to_contact")
    AutomationFactory(organization=charlie_org, name="Charlie's own", job_type="send_password_to_contact")
    client.force_login(alice)
    response = client.post(ADD_URL, form_data(name="Second welcome"), follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert any("“Second welcome” sends a new password on the same event as “Welcome”" in m for m in messages)
    assert not any("Charlie" in m for m in messages)
    page = client.get(LIST).text
    assert page.count('class="password-conflict"') == 2


def test_an_inactive_or_other_event_password_automation_is_no_conflict(client, alice):
    AutomationFactory(organization=alice.organization, name="Old welcome", is_active=False)
    AutomationFactory(organization=alice.organization, name="Other event", event_type="registered")
    client.force_login(alice)
    response = client.post(ADD_URL, form_data(name="Welcome"), follow=True)
    assert not any("new password" in str(m) for m in response.context["messages"])
    assert 'class="password-conflict"' not in client.get(LIST).text
