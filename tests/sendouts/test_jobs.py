"""The jobs *send prepared message to group* (S) and *send most recent message(s) to contact* (K)."""

from __future__ import annotations

import pytest
from django.core import mail

from automations.models import Run
from automations.services import dispatch_due_runs
from engage.events import record_event
from notifications.models import Sendout
from notifications.sendouts import start_sendout
from tests.factories import AutomationFactory
from tests.sendouts.conftest import make_group, make_message, make_sendout

pytestmark = pytest.mark.django_db(transaction=True)


def run_all() -> None:
    while dispatch_due_runs():
        pass


def test_an_automation_creates_and_starts_a_group_sendout(alice_org):
    group = make_group(alice_org, 4)
    message = make_message(alice_org)
    AutomationFactory(
        organization=alice_org, name="Monthly", event_type="manual", job_type="send_prepared_message_group",
        job_params={"message": message.pk, "groups": [group.pk], "selection": None},
    )  # fmt: skip

    record_event(organization=alice_org, type="manual", scope="S")
    run_all()

    run = Run.objects.get()
    assert run.status == Run.Status.SUCCEEDED, run.error
    sendout = Sendout.objects.get()
    assert sendout.name.startswith("Monthly: Newsletter")
    assert sendout.status == Sendout.Status.SENT
    assert len(mail.outbox) == 4


def test_the_group_job_accepts_only_the_organizations_groups(alice_org, charlie_org):
    from automations.jobs import get_job

    theirs = make_group(charlie_org, 1, name="Theirs", start=100)
    form = get_job("send_prepared_message_group").params_form(
        {"message": make_message(alice_org).pk, "groups": [theirs.pk]}, organization=alice_org
    )
    assert "groups" in form.errors


def test_a_new_subscriber_gets_the_latest_newsletter_again(alice_org):
    group = make_group(alice_org, 2)
    older = make_sendout(alice_org, [group])
    start_sendout(sendout=older)
    newer = make_sendout(alice_org, [group])
    newer.message.variants.update(subject="Latest for {{ contact.first_name }}")
    start_sendout(sendout=newer)
    mail.outbox.clear()
    contact = group.memberships.first().contact
    AutomationFactory(
        organization=alice_org, event_type="manual", job_type="send_recent_sendouts_contact", job_params={"count": 1}
    )

    record_event(organization=alice_org, type="manual", contact=contact, scope="K")
    run_all()

    assert Run.objects.get().status == Run.Status.SUCCEEDED, Run.objects.get().error
    assert [(m.to[0], m.subject) for m in mail.outbox] == [(contact.email, f"Latest for {contact.first_name}")]
