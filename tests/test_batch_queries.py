"""A batch of runs costs a few queries per batch, not a dozen per run."""

import pytest

from automations import services
from automations.models import Automation, Run
from contacts.models import Contact
from engage.events import NewEvent, record_events
from notifications.models import OutboundMessage, PreparedMessage, PreparedMessageVariant

RUNS = 100


@pytest.fixture
def hundred_due_runs(alice_org, settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.ENGAGE_MAILS_PER_MINUTE = 100_000
    monkeypatch.setattr(services, "COMMIT_SECONDS", 3600)  # groups by count only, however slow the machine
    message = PreparedMessage.objects.create(organization=alice_org, name="Shipped", is_marketing=False)
    PreparedMessageVariant.objects.create(
        message=message,
        language="en",
        subject="Order {{ event.payload.order }}",
        html_body="<p>Hi {{ contact.first_name }}</p>",
    )
    Automation.objects.create(
        organization=alice_org, name="shipped", event_type="custom", event_name="shipped",
        job_type="send_prepared_message_contact", job_params={"message": message.pk},
    )  # fmt: skip
    contacts = Contact.objects.bulk_create(
        [Contact(organization=alice_org, email=f"c{n}@example.com", first_name=f"Ann{n}") for n in range(RUNS)]
    )
    record_events(
        organization=alice_org,
        events=[
            NewEvent(type="custom", name="shipped", contact=c, payload={"order": n}) for n, c in enumerate(contacts)
        ],
    )
    claimed = services.claim_runs(limit=RUNS)
    assert claimed is not None and claimed.size == RUNS
    return claimed.token


def test_a_batch_of_100_runs_and_their_mails_takes_a_few_queries_per_batch(
    hundred_due_runs, django_assert_max_num_queries, mailoutbox
):
    # Per run only its savepoint (taken and released); the rest is per batch or per group.
    with django_assert_max_num_queries(2 * RUNS + 60):
        assert services.execute_runs(hundred_due_runs) == RUNS

    assert Run.objects.filter(status=Run.Status.SUCCEEDED).count() == RUNS
    assert OutboundMessage.objects.filter(status=OutboundMessage.Status.SENT).count() == RUNS
    assert len(mailoutbox) == RUNS


def test_each_run_of_a_batch_names_the_mail_it_queued(hundred_due_runs, mailoutbox):
    services.execute_runs(hundred_due_runs)

    for run in Run.objects.all():
        assert OutboundMessage.objects.get(pk=run.output["message_id"]).run_id == run.pk
