"""The runs list as a marketer reads it: the reason in view, the status in colour."""

import re

from django.utils import timezone

from automations.models import Event, Run
from tests.factories import AutomationFactory, ContactFactory


def make_run(organization, status: str, error: str = "") -> Run:
    automation = AutomationFactory(organization=organization)
    contact = ContactFactory(organization=organization)
    event = Event.objects.create(
        organization=organization, type="contact_created", contact=contact, occurred_at=timezone.now()
    )
    return Run.objects.create(
        organization=organization,
        automation=automation,
        event=event,
        contact=contact,
        target_key=f"contact:{contact.pk}",
        status=status,
        due_at=timezone.now(),
        error=error,
    )


def test_the_error_column_comes_right_after_status_automation_and_target(client, bob):
    make_run(bob.organization, Run.Status.FAILED, "The server refused the address.")
    client.force_login(bob)
    page = client.get("/admin/automations/run/").text
    headers = re.findall(r'<th [^>]*class="[^"]*column-(\w+)', page)
    assert headers.index("reason") < headers.index("due_at")
    assert headers.index("reason") == headers.index("target_display") + 1


def test_statuses_are_coloured_by_meaning(client, bob):
    make_run(bob.organization, Run.Status.FAILED, "boom")
    make_run(bob.organization, Run.Status.SUCCEEDED)
    client.force_login(bob)
    page = client.get("/admin/automations/run/").text
    assert re.search(r'class="status-badge status-bad"[^>]*>failed<', page)
    assert re.search(r'class="status-badge status-good"[^>]*>succeeded<', page)
