"""Writes of the automation engine: record events, schedule runs, claim and execute them.

The truth lives in the `Run` table. A run is claimed with one conditional UPDATE that
stamps a fresh claim token and a lease on it, so only one worker can hold it; the worker
then finishes it with another UPDATE that only matches while it still holds that token.
A worker that dies leaves a lease that runs out, and the dispatcher claims the run again.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext, gettext_noop

from automations.conditions import first_unmet
from automations.jobs import get_job
from automations.jobs.base import JobContext
from automations.models import Automation, Event, Run
from automations.timeframe import OutsideTimeFrame, add_delay, apply_time_frame, in_date_range
from contacts.models import Contact, Organization, User
from contacts.selectors import selection_matches
from engage import ports, recovery
from engage.errors import PermanentError, TransientError
from engage.events import EventType, NewEvent, Scope, record_event, scopes_of
from engage.lib import bulk, memo, processes
from engage.lib.leases import Claim, backoff, claim, release, renew, renewal_due, take_over
from engage.notes import note, sentence
from notifications.models import OutboundMessage
from notifications.services import collecting_mail, deliver, hand_to_worker, write_outbox

logger = logging.getLogger(__name__)

# What a run's note says (see engage.notes: stored in English, shown in the reader's language).
GAVE_UP = sentence(gettext_noop("Gave up after %(attempts)s attempts."))
UNKNOWN_JOB = sentence(gettext_noop("Unknown job “%(job)s”."))
NO_TARGET = sentence(gettext_noop("The event has no contact or system user to act on, and the automation names none."))
NOT_IN_SELECTION = sentence(
    gettext_noop("The contact does not match the selection “%(selection)s” (checked when the run was due).")
)
SALESFORCE_NOW = sentence(
    gettext_noop(
        "The Salesforce %(object)s %(id)s no longer meets the condition “%(condition)s” "
        "(its %(field)s is now “%(value)s”)."
    )
)
SALESFORCE_NOW_EMPTY = sentence(
    gettext_noop(
        "The Salesforce %(object)s %(id)s no longer meets the condition “%(condition)s” (its %(field)s is now empty)."
    )
)
FAILED_FOR_GOOD = sentence(gettext_noop("%(error)s (gave up after %(attempts)s attempts)"))
RETRYING = sentence(gettext_noop("%(error)s (attempt %(attempt)s, retrying in %(seconds)s s)"))
CHAIN_LIMIT = sentence(
    gettext_noop(
        "“Automation finished” was not fired: %(count)s automations already triggered each other in a row "
        "(limit %(limit)s). Do some automations start each other in a loop?"
    )
)

# Runs of database-only jobs that commit together (see _CommitGroup).
COMMIT_GROUP = 50
COMMIT_SECONDS = 0.2


@transaction.atomic
def record_events(*, organization: Organization, events: Sequence[NewEvent]) -> list[tuple[Event, bool]]:
    """Store events of one organization and schedule the runs of every active automation
    listening to them, with a few queries per call however many events it holds.

    The handler behind `engage.events.record_events`. An event whose (source, external_id)
    is already stored, or appears earlier in the call, is returned as it is and schedules
    nothing again.
    """
    now = timezone.now()
    keys = {(e.source, e.external_id) for e in events if e.external_id is not None}
    known = _known_events(organization, keys)
    results: list[tuple[Event, bool] | None] = []
    fresh: list[Event] = []
    for item in events:
        key = (item.source, item.external_id)
        if item.external_id is not None and key in known:
            results.append((known[key], False))
            continue
        event = _new_event(organization, item, now)
        if item.external_id is not None:
            known[key] = event
        fresh.append(event)
        results.append(None)
    try:
        with transaction.atomic():
            bulk.insert(fresh)
    except IntegrityError:
        # A concurrent delivery stored some of these external ids first: store one by one,
        # and get_or_create settles each collision by the unique constraint.
        return [_record_one(organization, item, now) for item in events]
    _schedule(organization, fresh)
    created = iter(fresh)
    return [result if result is not None else (next(created), True) for result in results]


def _new_event(organization: Organization, item: NewEvent, now: datetime) -> Event:
    return Event(
        organization=organization,
        type=item.type,
        scope=item.scope or _scope_for(item.type, contact=item.contact, user=item.user),
        contact=item.contact,
        user=item.user,
        payload=item.payload or {},
        source=item.source,
        external_id=item.external_id,
        occurred_at=item.occurred_at or now,
        name=item.name,
        chain_depth=item.chain_depth,
    )


def _known_events(organization: Organization, keys: set[tuple[str, str | None]]) -> dict:
    if not keys:
        return {}
    existing = Event.objects.filter(
        organization=organization,
        source__in={source for source, _ in keys},
        external_id__in={external_id for _, external_id in keys},
    )
    return {(e.source, e.external_id): e for e in existing if (e.source, e.external_id) in keys}


def _record_one(organization: Organization, item: NewEvent, now: datetime) -> tuple[Event, bool]:
    event = _new_event(organization, item, now)
    if item.external_id is None:
        event.save()
    else:
        fields = {f.attname: getattr(event, f.attname) for f in Event._meta.concrete_fields if not f.primary_key}
        with transaction.atomic():
            event, created = Event.objects.get_or_create(
                organization=organization, source=item.source, external_id=item.external_id, defaults=fields
            )
        if not created:
            return event, False
    _schedule(organization, [event])
    return event, True


def _schedule(organization: Organization, events: list[Event]) -> None:
    """Create the runs of freshly stored events and hand those due now to workers once
    the events commit."""
    runs = schedule_runs(organization, events)
    now = timezone.now()
    due_now = [run["id"] for run in runs if run["status"] == Run.Status.SCHEDULED and run["due_at"] <= now]
    if due_now:
        transaction.on_commit(lambda: _start_in_batches(due_now))


def schedule_runs(organization: Organization, events: Sequence[Event]) -> list[dict[str, Any]]:
    """The runs of stored events: which automations each event starts, decided in one
    place for every way an event arrives. One query for the automations, one insert.
    Returns the stored runs' rows (field attname → value, with their ids)."""
    types = {event.type for event in events}
    listening: dict[tuple[str, str], list[Automation]] = defaultdict(list)
    automations = Automation.objects.filter(organization=organization, event_type__in=types, is_active=True)
    for automation in automations.select_related("target_contact", "target_user"):
        listening[automation.event_type, automation.event_name].append(automation)
    runs = []
    with memo.batch():  # holidays are read once per call, not once per run
        for event in events:
            runs.extend(_runs_of(event, listening))
    # Rows, not model instances: a call of a thousand events builds a thousand runs.
    for run, pk in zip(runs, bulk.insert_rows(Run, runs), strict=True):
        run["id"] = pk
    return runs


def _runs_of(event: Event, listening: dict[tuple[str, str], list[Automation]]) -> list[dict[str, Any]]:
    name = event.name if event.type == EventType.CUSTOM else ""
    candidates = listening.get((event.type, name), [])
    if event.type == EventType.AUTOMATION_FINISHED:
        finished = (event.payload.get("automation") or {}).get("id")
        candidates = [a for a in candidates if a.after_automation_id in (None, finished)]
    if event.type == EventType.SALESFORCE_MESSAGE:
        candidates = [a for a in candidates if a.listens_to_salesforce(event.payload)]
    return [
        _new_run(automation, event)
        for automation in candidates
        if event.scope in automation.scopes and in_date_range(automation, event.occurred_at)
    ]


def _start_in_batches(ids: list[int]) -> None:
    """Hand due runs to workers in batches, so that several workers share a large ingest."""
    size = settings.ENGAGE_DISPATCH_BATCH_SIZE
    for start in range(0, len(ids), size):
        start_runs(ids[start : start + size])


def _scope_for(type: str, *, contact: Contact | None, user: User | None) -> str:
    scopes = scopes_of(type)
    if len(scopes) == 1:
        return next(iter(scopes))
    if contact is not None:
        return Scope.CONTACT
    if user is not None:
        return Scope.SYSTEM
    raise ValueError(f"Event {type!r} needs a contact or a system user to tell its scope.")


def _new_run(automation: Automation, event: Event) -> dict[str, Any]:
    """The row of a new run of the automation for the event."""
    contact, user = _target_of(automation, event)
    skip_reason = ""
    due_at = max(add_delay(automation, event.occurred_at), timezone.now())
    try:
        due_at = apply_time_frame(automation, due_at)
    except OutsideTimeFrame as exc:
        skip_reason = str(exc)
    run = {
        "organization_id": event.organization_id,
        "automation_id": automation.pk,
        "event_id": event.pk,
        "contact_id": contact.pk if contact else None,
        "user_id": user.pk if user else None,
        "target_key": f"contact:{contact.pk}" if contact else f"user:{user.pk}" if user else "none",
        "status": Run.Status.SCHEDULED,
        "due_at": due_at,
        "input": {"event": {"id": event.pk, "type": event.type, "payload": event.payload}},
    }
    if contact is None and user is None and _needs_target(automation):
        skip_reason = note(NO_TARGET)
    if skip_reason:
        run.update(status=Run.Status.SKIPPED, error=skip_reason, finished_at=timezone.now())
    return run


def _needs_target(automation: Automation) -> bool:
    job_class = get_job(automation.job_type)
    return job_class is None or job_class.needs_target


def _target_of(automation: Automation, event: Event) -> tuple[Contact | None, User | None]:
    """A contact for a K event, a system user for an S event: named, or the event's own."""
    named = automation.target == Automation.Target.NAMED
    if event.scope == Scope.CONTACT:
        return (automation.target_contact if named else event.contact), None
    return None, (automation.target_user if named else event.user)


class LeaseLost(Exception):
    """Another worker took the run over: this one's work is rolled back."""


def claim_runs(*, ids: list[int] | None = None, limit: int | None = None, now: datetime | None = None) -> Claim | None:
    """Claim up to `limit` claimable runs (or just those of `ids`) for one worker."""
    now = now or timezone.now()
    return claim(
        Run,
        Run.claimable_q(now),
        order_by="due_at",
        limit=limit or settings.ENGAGE_DISPATCH_BATCH_SIZE,
        now=now,
        ids=ids,
        status=Run.Status.RUNNING,
        started_at=now,
    )


def start_runs(ids: list[int]) -> None:
    """Claim runs that are due now and hand them to a worker, right after their event commits."""
    claim = claim_runs(ids=ids, limit=len(ids))
    if claim is not None:
        enqueue_claimed(claim.token)


def dispatch_due_runs(*, now: datetime | None = None, limit: int | None = None) -> int:
    """Claim one batch of due runs and hand it to a worker. Returns the number claimed."""
    claim = claim_runs(now=now, limit=limit)
    if claim is None:
        return 0
    enqueue_claimed(claim.token)
    return claim.size


def enqueue_claimed(token: uuid.UUID) -> None:
    from django_q.tasks import async_task

    try:
        async_task("automations.tasks.execute_runs", str(token), task_name=f"runs {token}")
    except Exception:
        # The broker is unreachable: give the runs back at once instead of waiting for the
        # lease to run out.
        logger.exception("Could not enqueue claimed runs; releasing them")
        release(Run, token, status=Run.Status.RUNNING, back_to=Run.Status.SCHEDULED)
        raise


def execute_runs(token: uuid.UUID | str) -> int:
    """Execute every run still held under `token`. Returns how many were executed.

    The batch is first moved to a fresh token with one UPDATE that also counts the attempt,
    so that a task delivered twice by the broker executes its runs once: the second
    delivery finds nothing. A batch gets half the task's timeout for its runs: what it has
    not started by then goes back, uncounted, to another worker at once, so the task is not
    killed by its timeout again and again on a busy machine.
    """
    own = take_over(Run, token, status=Run.Status.RUNNING)
    if own is None:
        return 0
    deadline = time.monotonic() + settings.Q_CLUSTER["timeout"] / 2
    runs = (
        Run.objects.filter(claim_token=own, status=Run.Status.RUNNING)
        .select_related("automation__organization", "automation__selection", "event", "contact", "user")
        .order_by("due_at")
    )
    executed = []
    renewed = time.monotonic()
    with memo.batch():
        with _CommitGroup(own) as group:
            for run in runs:
                # At least one run per batch; a cluster asked to stop hands on the rest at once.
                if executed and (time.monotonic() > deadline or processes.stopping()):
                    group.commit()
                    _hand_on_unstarted(own)
                    break
                # The task's timeout is shorter than a lease (engage.E002), so the batch keeps
                # its runs; a batch that still runs long renews the lease of what is left.
                if renewal_due(renewed):
                    group.commit()
                    renew(Run, own, status=Run.Status.RUNNING)
                    renewed = time.monotonic()
                job_class = get_job(run.automation.job_type)
                if job_class is not None and not job_class.transactional:
                    group.commit()  # a job that calls another system runs outside any transaction
                else:
                    group.join()
                execute_run(run, own, group=group)
                executed.append(run.pk)
        # The mails these runs queued leave now, over one connection (with the mail settings
        # the runs looked up), or from another worker if this task has used its time. Should
        # this worker die first, they wait in the outbox and the dispatcher hands them on.
        queued = list(
            OutboundMessage.objects.filter(run_id__in=executed, status=OutboundMessage.Status.QUEUED).values_list(
                "pk", flat=True
            )
        )
        if queued and (time.monotonic() > deadline or processes.stopping()):
            hand_to_worker(queued)
        elif queued:
            deliver(queued)
    return len(executed)


def _hand_on_unstarted(token: uuid.UUID) -> None:
    """Give the runs of a batch that its worker has not started back, without counting an
    attempt, and hand them to other workers now."""
    unstarted = list(Run.objects.filter(claim_token=token, status=Run.Status.RUNNING).values_list("pk", flat=True))
    release(Run, token, status=Run.Status.RUNNING, back_to=Run.Status.SCHEDULED, uncount=True)
    _start_in_batches(unstarted)


class _CommitGroup:
    """Runs of database-only jobs commit together, each in a savepoint of its own: one
    commit for up to COMMIT_GROUP runs or COMMIT_SECONDS of work, not one per run. A worker
    that dies loses at most that much work, which its runs' leases then hand out again.

    A group opens by locking the batch's runs it still holds (one SELECT … FOR UPDATE;
    SQLite's write lock does the same): no other worker can take them before it commits,
    so their results are written together when it commits, with the mails they queued, in
    one UPDATE and one multi-row INSERT. Should the UPDATE still miss a run, the whole
    group is rolled back and its leases hand its runs out again."""

    def __init__(self, token: uuid.UUID) -> None:
        self.token = token
        self._atomic: transaction.Atomic | None = None
        self._started = 0.0
        self._count = 0
        self.held: set[int] = set()
        self.mails: list[OutboundMessage] = []
        self.results: dict[int, tuple[str, dict, str]] = {}

    @property
    def is_open(self) -> bool:
        return self._atomic is not None

    def join(self) -> None:
        """Called before a run: opens a group, or closes a full one and opens the next."""
        if self._atomic is not None and (
            self._count >= COMMIT_GROUP or time.monotonic() - self._started > COMMIT_SECONDS
        ):
            self.commit()
        if self._atomic is None:
            self._atomic = transaction.atomic()
            self._atomic.__enter__()
            self._started, self._count = time.monotonic(), 0
            self.held = set(
                Run.objects.select_for_update()
                .filter(claim_token=self.token, status=Run.Status.RUNNING)
                .values_list("pk", flat=True)
            )
        self._count += 1

    def finish(self, run: Run, *, status: str, output: dict, error: str = "") -> None:
        """Record a run's result with the group's (inside the run's savepoint)."""
        self.results[run.pk] = (status, output, error)

    def commit(self) -> None:
        atomic, self._atomic = self._atomic, None
        if atomic is None:
            return
        try:
            self._write()
        except BaseException as exc:
            atomic.__exit__(type(exc), exc, exc.__traceback__)
            raise
        finally:
            self.mails, self.results = [], {}
        atomic.__exit__(None, None, None)

    def _write(self) -> None:
        if self.mails:
            write_outbox(self.mails)
        if not self.results:
            return
        results = {pk: (status, _stored(output), error) for pk, (status, output, error) in self.results.items()}

        def each(index: int, **value) -> list[models.When]:
            return [models.When(pk=pk, then=models.Value(result[index], **value)) for pk, result in results.items()]

        updated = Run.objects.filter(pk__in=results, claim_token=self.token, status=Run.Status.RUNNING).update(
            status=models.Case(*each(0)),
            output=models.Case(*each(1, output_field=models.JSONField()), output_field=models.JSONField()),
            error=models.Case(*each(2)),
            finished_at=timezone.now(),
            lease_expires_at=None,
        )
        if updated != len(results):
            logger.warning("Runs of token %s were taken from this worker; their group is rolled back", self.token)
            raise LeaseLost

    def __enter__(self) -> _CommitGroup:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is None:
            self.commit()
            return
        atomic, self._atomic = self._atomic, None
        self.mails, self.results = [], {}
        if atomic is not None:
            atomic.__exit__(exc_type, exc, traceback)


def _stored(output: dict) -> dict:
    """A job's output as stored: a mail it queued (see collecting_mail) by its id."""
    return {key: value.pk if isinstance(value, OutboundMessage) else value for key, value in output.items()}


def execute_run(run: Run, token: uuid.UUID | str, *, group: _CommitGroup | None = None) -> None:
    if run.attempts > settings.ENGAGE_RUN_MAX_ATTEMPTS:
        _finish(run, token, status=Run.Status.FAILED, error=note(GAVE_UP, attempts=run.attempts - 1))
        return
    job_class = get_job(run.automation.job_type)
    if job_class is None:
        _finish(run, token, status=Run.Status.FAILED, error=note(UNKNOWN_JOB, job=run.automation.job_type))
        return
    stored_event = (run.input or {}).get("event") or {}
    if "payload" in stored_event:
        run.event.payload = stored_event["payload"]  # replays use the input stored with the run
    context = JobContext(
        run=run,
        automation=run.automation,
        event=run.event,
        params=run.automation.job_params or {},
        contact=run.contact,
        user=run.user,
    )
    try:
        skip_reason = _skip_reason(run)
        if not skip_reason and not job_class.transactional:
            output = job_class().execute(context) or {}
            _finish(run, token, status=Run.Status.SUCCEEDED, output=output)
            return
        if group is not None and group.is_open:
            _execute_in_group(run, job_class, context, skip_reason, group)
            return
        # The job's changes and the run's result commit together, or not at all: a run
        # executed again after a crash finds nothing half done.
        with transaction.atomic():
            if skip_reason:
                status, output = Run.Status.SKIPPED, {}
            else:
                status, output = Run.Status.SUCCEEDED, job_class().execute(context) or {}
            if not _finish(run, token, status=status, output=_stored(output), error=skip_reason):
                raise LeaseLost
    except LeaseLost:
        return
    except TransientError as exc:
        _retry_or_fail(run, token, exc)
    except Exception as exc:
        if recovery.database_lost(exc):
            raise  # not the run's failure: the task gives the batch back (engage.recovery)
        # Every other error (the job's, or a broken selection) fails this run with its reason.
        logger.warning("Run %s failed: %s", run.pk, exc)
        _finish(run, token, status=Run.Status.FAILED, error=_describe(exc))


def _execute_in_group(run: Run, job_class, context: JobContext, skip_reason: str, group: _CommitGroup) -> None:
    """A run of a database-only job inside a commit group: its changes in a savepoint of
    its own; the mails it queues and its result are written with the group's."""
    if run.pk not in group.held:
        logger.warning("Run %s was taken from this worker before it started", run.pk)
        return
    queued = len(group.mails)
    try:
        with transaction.atomic(), collecting_mail(group.mails):
            if skip_reason:
                status, output = Run.Status.SKIPPED, {}
            else:
                status, output = Run.Status.SUCCEEDED, job_class().execute(context) or {}
            chain_note = _automation_finished(run, status)
            group.finish(run, status=status, output=output, error=skip_reason + chain_note)
    except BaseException:
        del group.mails[queued:]  # rolled back with the savepoint
        group.results.pop(run.pk, None)
        raise


def _skip_reason(run: Run) -> str:
    """Why the run should not do its job now (evaluated when it runs, after the delay).
    Whether the contact matched when the event happened is not known, so the note says
    only what was checked and when."""
    selection = run.automation.selection
    if selection is not None and run.contact is not None and not selection_matches(selection, run.contact):
        return note(NOT_IN_SELECTION, selection=selection.name)
    if run.automation.salesforce_conditions and run.event.type == EventType.SALESFORCE_MESSAGE:
        return _salesforce_skip_reason(run)
    return ""


def _salesforce_skip_reason(run: Run) -> str:
    """The conditions of a Salesforce-bound automation hold for the record as Engage knows
    it now (a Case reopened during the delay no longer counts), else as the event had it."""
    payload = run.event.payload
    object_type, object_id = payload.get("object_type", "record"), str(payload.get("id") or "")
    latest = ports.salesforce_record_fields(organization_id=run.organization_id, object_id=object_id)
    fields = latest if latest is not None else payload.get("fields") or {}
    unmet = first_unmet(run.automation.conditions, fields)
    if unmet is None:
        return ""
    now = unmet.value_in(fields)
    values = {"object": object_type, "id": object_id, "condition": unmet.describe(), "field": unmet.field}
    if now in (None, ""):
        return note(SALESFORCE_NOW_EMPTY, **values)
    return note(SALESFORCE_NOW, **values, value=now)


def _retry_or_fail(run: Run, token: uuid.UUID | str, exc: Exception) -> None:
    if run.attempts >= settings.ENGAGE_RUN_MAX_ATTEMPTS:
        error = note(FAILED_FOR_GOOD, error=_describe(exc), attempts=run.attempts)
        _finish(run, token, status=Run.Status.FAILED, error=error)
        return
    delay = backoff(run.attempts)
    Run.objects.filter(pk=run.pk, claim_token=token).update(
        status=Run.Status.SCHEDULED,
        due_at=timezone.now() + delay,
        claim_token=None,
        lease_expires_at=None,
        error=note(RETRYING, error=_describe(exc), attempt=run.attempts, seconds=int(delay.total_seconds())),
    )


def _finish(run: Run, token: uuid.UUID | str, *, status: str, output: dict | None = None, error: str = "") -> bool:
    """Record the end of a run, if this worker still holds it."""
    updated = Run.objects.filter(pk=run.pk, claim_token=token, status=Run.Status.RUNNING).update(
        status=status,
        output=output or {},
        error=error,
        finished_at=timezone.now(),
        lease_expires_at=None,
    )
    if not updated:
        logger.warning("Run %s was taken from this worker before it finished", run.pk)
        return False
    if chain_note := _automation_finished(run, status):
        Run.objects.filter(pk=run.pk).update(error=Concat(models.F("error"), models.Value(chain_note)))
    return True


def listened(*, organization_id: int, type: str) -> bool:
    """Whether an active automation of the organization listens to `type` (once per batch)."""
    return memo.remembered(
        ("listened", organization_id, type),
        lambda: Automation.objects.filter(organization_id=organization_id, event_type=type, is_active=True).exists(),
    )


def _automation_finished(run: Run, status: str) -> str:
    """Fire *automation finished* for automations that listen to it, one link further down
    the chain. Past ENGAGE_MAX_CHAIN_DEPTH the chain stops: returns the note for the run."""
    if run.contact_id is None and run.user_id is None:
        return ""
    if not listened(organization_id=run.organization_id, type=EventType.AUTOMATION_FINISHED):
        return ""
    depth = run.event.chain_depth + 1
    if depth > settings.ENGAGE_MAX_CHAIN_DEPTH:
        logger.warning("Run %s: automation chain limit reached", run.pk)
        return note(CHAIN_LIMIT, count=depth - 1, limit=settings.ENGAGE_MAX_CHAIN_DEPTH)
    record_event(
        organization=run.organization,
        type=EventType.AUTOMATION_FINISHED,
        contact=run.contact,
        user=run.user,
        scope=Scope.CONTACT if run.contact_id else Scope.SYSTEM,
        payload={"automation": {"id": run.automation_id, "name": run.automation.name}, "run": run.pk, "status": status},
        source="engine",
        chain_depth=depth,
    )
    return ""


def _describe(exc: Exception) -> str:
    """Our own errors carry a message written for the marketer; others get their class."""
    if isinstance(exc, (PermanentError, TransientError)):
        return str(exc)
    return f"{exc.__class__.__name__}: {exc}"


@transaction.atomic
def copy_automation(*, automation: Automation) -> Automation:
    """A copy of an automation to edit (the workflow copy of the specification): the same
    event, job and parameters, time frame and target, named "Copy of …" and inactive, so
    that it starts nothing until it has been checked and switched on."""
    copy = Automation.objects.get(pk=automation.pk)
    copy.pk = copy.id = None
    copy._state.adding = True
    name = gettext("Copy of %(name)s") % {"name": automation.name}  # in the admin's language
    copy.name = Truncator(name).chars(Automation._meta.get_field("name").max_length)
    copy.is_active = False
    copy.save()
    return copy


def set_active(*, automations: models.QuerySet, active: bool) -> int:
    """Switch automations on or off; returns how many changed."""
    return automations.exclude(is_active=active).update(is_active=active)


def set_up_organization(organization: Organization) -> None:
    """Every new organization starts with the customer's own model: a contact who asks
    for a password in the preference center gets a new one."""
    Automation.objects.create(
        organization=organization,
        name="Preference center: send a new password on request",
        description="Answers “forgot password” in the preference center with a new random password.",
        event_type=EventType.PASSWORD_REQUESTED,
        job_type="send_password_to_contact",
        target=Automation.Target.EVENT,
    )
