"""How runs are executed: at once after the event commits, or when due; failures recorded."""

from datetime import timedelta

import time_machine
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from automations.models import Run
from automations.services import claim_runs, dispatch_due_runs, execute_runs
from contacts import services
from engage.events import record_event
from tests.factories import AutomationFactory, ContactFactory, UserFactory


def test_zero_delay_run_executes_when_the_event_commits(alice_org, smtp_server, django_capture_on_commit_callbacks):
    AutomationFactory(organization=alice_org)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        contact = services.create_contact(organization=alice_org, email="now@example.com")
        # Nothing is sent inside the transaction that creates the contact.
        assert smtp_server.messages == []
    assert len(callbacks) == 1
    run = Run.objects.get(contact=contact)
    assert run.status == Run.Status.SUCCEEDED, run.error
    assert [m["To"] for m in smtp_server.messages] == ["now@example.com"]


def test_run_is_not_started_when_the_transaction_rolls_back(alice_org, smtp_server, django_capture_on_commit_callbacks):
    AutomationFactory(organization=alice_org)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.create_contact(organization=alice_org, email="later@example.com")
    run = Run.objects.get()
    assert run.status == Run.Status.SCHEDULED
    assert len(callbacks) == 1  # would start it only on commit


def test_failing_job_records_its_error_on_the_run(alice_org):
    AutomationFactory(organization=alice_org, event_type="system_user_created", job_type="send_password_to_system_user")
    user = UserFactory(organization=alice_org, email="")
    record_event(organization=alice_org, type="system_user_created", user=user)
    dispatch_due_runs()
    run = Run.objects.get(user=user)
    assert run.status == Run.Status.FAILED
    assert run.error == f"System user {user.username} has no e-mail address."


def test_a_failing_job_leaves_no_half_done_change(alice_org, monkeypatch):
    from automations.jobs import send_password_to_contact

    def enqueue_fails(**kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(send_password_to_contact, "enqueue_mail", enqueue_fails)
    AutomationFactory(organization=alice_org)
    contact = ContactFactory(organization=alice_org)
    record_event(organization=alice_org, type="contact_created", contact=contact)
    dispatch_due_runs()
    assert Run.objects.get().error == "RuntimeError: outbox unavailable"
    contact.refresh_from_db()
    assert contact.password == ""  # the new hash was rolled back with the job


def test_refused_mail_is_recorded_on_the_message_with_the_reason(
    alice_org, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.test_execution.RefusingBackend"
    AutomationFactory(organization=alice_org)
    with django_capture_on_commit_callbacks(execute=True):
        contact = services.create_contact(organization=alice_org, email="refused@example.com")
    run = Run.objects.get(contact=contact)
    assert run.status == Run.Status.SUCCEEDED  # the job did its work: the mail is in the outbox
    message = run.messages.get()
    assert message.status == "failed"
    assert "550" in message.error and "mailbox unavailable" in message.error


def test_transient_job_failure_is_retried_later_with_backoff(alice_org, monkeypatch):
    from automations.jobs import add_tag
    from engage.errors import TransientError

    def flaky(self, context):
        raise TransientError("CRM timed out")

    monkeypatch.setattr(add_tag.Job, "execute", flaky)
    AutomationFactory(organization=alice_org, job_type="add_tag", job_params={"tag": "x"})
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        record_event(organization=alice_org, type="contact_created", contact=ContactFactory(organization=alice_org))
        dispatch_due_runs()
    run = Run.objects.get()
    assert (run.status, run.attempts) == (Run.Status.SCHEDULED, 1)
    assert run.error == "CRM timed out (attempt 1, retrying in 60 s)"
    assert run.due_at == start + timedelta(minutes=1)
    with time_machine.travel(start + timedelta(minutes=1, seconds=1), tick=False):
        dispatch_due_runs()
    run.refresh_from_db()
    assert (run.attempts, run.due_at) == (2, start + timedelta(minutes=1, seconds=1) + timedelta(minutes=2))


def test_unreachable_mail_server_queues_the_mail_for_later(alice_org, no_smtp_server):
    from notifications.models import OutboundMessage
    from notifications.services import dispatch_due_messages

    AutomationFactory(organization=alice_org)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        record_event(organization=alice_org, type="contact_created", contact=ContactFactory(organization=alice_org))
        dispatch_due_runs()
    message = OutboundMessage.objects.get()
    assert (message.status, message.attempts) == ("queued", 1)
    assert "unreachable" in message.error
    assert message.next_attempt_at == start + timedelta(minutes=1)
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        assert dispatch_due_messages() == 0  # not yet
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert dispatch_due_messages() == 1
    message.refresh_from_db()
    assert message.attempts == 2


def test_a_run_gives_up_after_engage_run_max_attempts(alice_org, monkeypatch, settings):
    from automations.jobs import add_tag
    from engage.errors import TransientError

    def flaky(self, context):
        raise TransientError("CRM timed out")

    settings.ENGAGE_RUN_MAX_ATTEMPTS = 2
    monkeypatch.setattr(add_tag.Job, "execute", flaky)
    AutomationFactory(organization=alice_org, job_type="add_tag", job_params={"tag": "x"})
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        record_event(organization=alice_org, type="contact_created", contact=ContactFactory(organization=alice_org))
        dispatch_due_runs()
    with time_machine.travel(start + timedelta(minutes=1, seconds=1), tick=False):
        dispatch_due_runs()
    run = Run.objects.get()
    assert (run.status, run.attempts) == (Run.Status.FAILED, 2)
    assert run.error == "CRM timed out (gave up after 2 attempts)"


def test_run_of_a_system_job_acts_on_the_system_user_of_the_event(alice_org, smtp_server):
    AutomationFactory(organization=alice_org, event_type="system_user_created", job_type="send_password_to_system_user")
    user = UserFactory(organization=alice_org, email="newbie@example.com")
    old_hash = user.password
    record_event(organization=alice_org, type="system_user_created", user=user)
    assert dispatch_due_runs() == 1
    run = Run.objects.get(user=user)
    assert run.status == Run.Status.SUCCEEDED, run.error
    assert [m["To"] for m in smtp_server.messages] == ["newbie@example.com"]
    user.refresh_from_db()
    assert user.password != old_hash and user.password.startswith("argon2")


def test_a_run_whose_worker_died_is_claimed_again_after_its_lease(alice_org, smtp_server, settings):
    AutomationFactory(organization=alice_org)
    contact = ContactFactory(organization=alice_org)
    record_event(organization=alice_org, type="contact_created", contact=contact)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        dead = claim_runs()  # a worker claims, then dies without executing
        assert dead is not None
        assert claim_runs() is None  # nobody else can take it while the lease holds
    with time_machine.travel(start + timedelta(seconds=settings.ENGAGE_LEASE_SECONDS + 1), tick=False):
        assert dispatch_due_runs() == 1
    run = Run.objects.get()
    assert run.status == Run.Status.SUCCEEDED
    assert run.attempts == 1  # the dead worker never started on it: only the execution counts
    # The dead worker comes back to life: it no longer holds the run and does nothing.
    assert execute_runs(dead.token) == 0
    assert len(smtp_server.messages) == 1


def test_a_run_claimed_again_while_its_task_waited_in_the_queue_keeps_its_attempts(alice_org, smtp_server, settings):
    """A backed-up queue: each claim's task waits longer than the lease, so the dispatcher
    claims the run again and again before any worker starts on it. None of that is an
    attempt; the run is executed, not given up."""
    AutomationFactory(organization=alice_org)
    record_event(organization=alice_org, type="contact_created", contact=ContactFactory(organization=alice_org))
    start, lease = timezone.now(), timedelta(seconds=settings.ENGAGE_LEASE_SECONDS + 1)
    tokens = []
    for n in range(settings.ENGAGE_RUN_MAX_ATTEMPTS + 2):
        with time_machine.travel(start + n * lease, tick=False):
            tokens.append(claim_runs().token)
    assert execute_runs(tokens[-1]) == 1
    run = Run.objects.get()
    assert (run.status, run.attempts) == (Run.Status.SUCCEEDED, 1), run.error
    assert [execute_runs(token) for token in tokens[:-1]] == [0] * (len(tokens) - 1)
    assert len(smtp_server.messages) == 1


def test_a_batch_out_of_time_hands_its_unstarted_runs_on_without_counting_an_attempt(alice_org, smtp_server, settings):
    """No time left after each run (a task timeout of 0): each batch executes one run and
    hands the rest to another worker at once, instead of being killed by its timeout."""
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 0}
    AutomationFactory(organization=alice_org)
    for contact in ContactFactory.create_batch(3, organization=alice_org):
        record_event(organization=alice_org, type="contact_created", contact=contact)
    with time_machine.travel(timezone.now() + timedelta(seconds=1), tick=False):
        claimed = claim_runs()
    assert claimed.size == 3
    assert execute_runs(claimed.token) == 1
    assert list(Run.objects.values_list("status", "attempts")) == [(Run.Status.SUCCEEDED, 1)] * 3
    assert len(smtp_server.messages) == 3


class RefusingBackend(BaseEmailBackend):
    """A mail backend whose server refuses every recipient for good."""

    def send_messages(self, messages):
        import smtplib

        raise smtplib.SMTPRecipientsRefused({m.to[0]: (550, b"5.1.1 mailbox unavailable") for m in messages})


def test_selection_is_evaluated_when_the_run_is_due_not_when_the_event_happened(alice_org, smtp_server):
    from contacts.models import Selection
    from contacts.services import add_tag, remove_tag

    customers = Selection.objects.create(
        organization=alice_org, name="Customers", definition={"conditions": [{"tag": "customer"}]}
    )
    AutomationFactory(organization=alice_org, selection=customers, delay_unit="days", delay_value=2)
    stays, leaves, joins = (
        ContactFactory(organization=alice_org, email=f"{n}@example.com") for n in ("stays", "leaves", "joins")
    )
    add_tag(contact=stays, name="customer")
    add_tag(contact=leaves, name="customer")
    for contact in (stays, leaves, joins):
        record_event(organization=alice_org, type="contact_created", contact=contact)
    remove_tag(contact=leaves, name="customer")
    add_tag(contact=joins, name="customer")
    with time_machine.travel(timezone.now() + timedelta(days=2, seconds=1)):
        assert dispatch_due_runs() == 3
    status = {run.contact.email: (run.status, run.error) for run in Run.objects.select_related("contact")}
    assert status["stays@example.com"][0] == Run.Status.SUCCEEDED
    assert status["joins@example.com"][0] == Run.Status.SUCCEEDED
    assert status["leaves@example.com"] == (
        Run.Status.SKIPPED,
        "The contact does not match the selection “Customers” (checked when the run was due).",
    )
    assert sorted(m["To"] for m in smtp_server.messages) == ["joins@example.com", "stays@example.com"]


def test_a_skip_note_does_not_claim_the_contact_matched_before(alice_org, smtp_server):
    from contacts.models import Selection

    customers = Selection.objects.create(
        organization=alice_org, name="Customers", definition={"conditions": [{"tag": "customer"}]}
    )
    AutomationFactory(organization=alice_org, selection=customers)
    never = ContactFactory(organization=alice_org, email="never@example.com")
    record_event(organization=alice_org, type="contact_created", contact=never)
    assert dispatch_due_runs() == 1
    run = Run.objects.get()
    assert run.status == Run.Status.SKIPPED
    assert "no longer" not in run.error
    assert run.error == "The contact does not match the selection “Customers” (checked when the run was due)."
