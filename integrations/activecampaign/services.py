"""Keeping an organization's address pool in sync with ActiveCampaign, and starting its
automations for activities.

A change to a pooled contact only marks the contact's sync row pending (in the caller's
transaction); the row comes due a moment later, so that a burst of edits is pushed once.
The connection's one worker (`work`) claims due rows one at a time, changes before
resync items, and pushes the contact's state as it is then: contact/sync, tags added and
removed, list statuses, its company's account. What was pushed is remembered on the row,
so nothing is sent twice. A transient failure is retried with backoff for as long as it
takes; a refusal waits for the next change.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from django import db
from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from contacts import services as contacts_services
from contacts.models import Contact, Membership
from contacts.selections import matching_contacts
from engage.errors import PermanentError, TransientError
from engage.lib import leases
from integrations.activecampaign.client import Client, RateLimited, WrongToken
from integrations.activecampaign.models import (
    ActiveCampaignConnection,
    Activity,
    ContactSync,
    PlanningType,
    Resync,
    SyncState,
)

RETRY_BASE = timedelta(seconds=15)
WORK_SECONDS = 50.0  # one worker task's time budget (below the task queue's timeout)
IDLE_POLL = 0.1
CONNECTION_REREAD = 1.0
TAG_DESCRIPTION = "Synced from Engage"
STANDARD_FIELDS = ("salutation", "first_name", "last_name", "phone", "company", "language", "external_ref")


# --- Which contacts ------------------------------------------------------------------
def syncing_connection(organization_id: int) -> ActiveCampaignConnection | None:
    return ActiveCampaignConnection.objects.filter(
        organization_id=organization_id, is_active=True, sync_enabled=True
    ).first()


def pooled(connection: ActiveCampaignConnection, contact: Contact) -> bool:
    if contact.erased_at is not None:
        return False
    if connection.pool_id is None:
        return True
    return matching_contacts(connection.organization, connection.pool.definition).filter(pk=contact.pk).exists()


def pool_contacts(connection: ActiveCampaignConnection) -> models.QuerySet[Contact]:
    contacts = Contact.objects.filter(organization_id=connection.organization_id, erased_at=None)
    if connection.pool_id is not None:
        contacts = matching_contacts(connection.organization, connection.pool.definition)
    return contacts


# --- Queueing -------------------------------------------------------------------------
def queue_contact_sync(*, contact: Contact, now: datetime | None = None) -> bool:
    """A contact changed: push it soon if it is pooled, or was pushed before (it may have
    left the pool, or been erased). Edits made before it comes due are pushed together.
    Returns whether anything was queued."""
    connection = syncing_connection(contact.organization_id)
    if connection is None:
        return False
    now = now or timezone.now()
    due = now + timedelta(seconds=settings.ENGAGE_ACTIVECAMPAIGN_COALESCE_SECONDS)
    rows = ContactSync.objects.filter(contact_id=contact.pk)
    if not rows.exists():
        if not pooled(connection, contact):
            return False
        ContactSync.objects.get_or_create(
            contact_id=contact.pk, defaults={"organization_id": contact.organization_id, "due_at": due}
        )
        return True
    rows.update(version=F("version") + 1)
    # A change goes before resync items; a pending row keeps its due time (coalescing).
    rows.filter(status=SyncState.PENDING, priority__gt=ContactSync.Priority.CHANGE).update(
        priority=ContactSync.Priority.CHANGE
    )
    rows.filter(status__in=[SyncState.SYNCED, SyncState.FAILED]).update(
        status=SyncState.PENDING, due_at=due, priority=ContactSync.Priority.CHANGE, attempts=0
    )
    return True


def queue_contacts_sync(*, organization_id: int, contact_ids: list[int], now: datetime | None = None) -> int:
    """Many contacts of one organization changed at once (a chunk of an import, written
    without model signals): what queue_contact_sync does for each, in a few queries for
    all. Returns how many were queued."""
    connection = syncing_connection(organization_id)
    if connection is None or not contact_ids:
        return 0
    now = now or timezone.now()
    due = now + timedelta(seconds=settings.ENGAGE_ACTIVECAMPAIGN_COALESCE_SECONDS)
    rows = ContactSync.objects.filter(organization_id=organization_id, contact_id__in=contact_ids)
    known = set(rows.values_list("contact_id", flat=True))
    if known:
        rows.update(version=F("version") + 1)
        rows.filter(status=SyncState.PENDING, priority__gt=ContactSync.Priority.CHANGE).update(
            priority=ContactSync.Priority.CHANGE
        )
        rows.filter(status__in=[SyncState.SYNCED, SyncState.FAILED]).update(
            status=SyncState.PENDING, due_at=due, priority=ContactSync.Priority.CHANGE, attempts=0
        )
    fresh = [pk for pk in contact_ids if pk not in known]
    pooled_ids = list(pool_contacts(connection).filter(pk__in=fresh, erased_at=None).values_list("pk", flat=True))
    ContactSync.objects.bulk_create(
        [ContactSync(organization_id=organization_id, contact_id=pk, due_at=due) for pk in pooled_ids],
        ignore_conflicts=True,
    )
    return len(known) + len(pooled_ids)


def contact_changed(contact_ids: list[int]) -> None:
    """Adapter for the model signals: queue each changed contact."""
    for contact in Contact.objects.filter(pk__in=contact_ids):
        queue_contact_sync(contact=contact)


@transaction.atomic
def start_resync(*, connection: ActiveCampaignConnection, started_by: str = "") -> Resync:
    """Push every pooled contact again (and every contact pushed before), after the changes
    already waiting. The worker does it in the background; the resync's rows show progress."""
    now = timezone.now()
    resync = Resync.objects.create(connection=connection, started_by=started_by[:150])
    pool_ids = set(pool_contacts(connection).values_list("pk", flat=True))
    known = ContactSync.objects.filter(organization_id=connection.organization_id)
    known_ids = set(known.values_list("contact_id", flat=True))
    ContactSync.objects.bulk_create(
        [
            ContactSync(
                organization_id=connection.organization_id,
                contact_id=pk,
                due_at=now,
                priority=ContactSync.Priority.RESYNC,
                resync=resync,
            )
            for pk in sorted(pool_ids - known_ids)
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    # Rows being pushed right now are finished by their worker; the rest are pushed again in full.
    known.exclude(status=SyncState.SYNCING).update(
        status=SyncState.PENDING, sent_hash="", attempts=0, resync=resync, due_at=now,
        priority=models.Case(
            models.When(status=SyncState.PENDING, then=F("priority")), default=ContactSync.Priority.RESYNC
        ),
    )  # fmt: skip
    resync.total = ContactSync.objects.filter(resync=resync).count()
    resync.save(update_fields=["total"])
    return resync


def resync_progress(resync: Resync) -> dict[str, int]:
    counts = dict(
        ContactSync.objects.filter(resync=resync).values_list("status").annotate(n=models.Count("pk")).order_by()
    )
    return {
        "total": resync.total,
        "synced": counts.get(SyncState.SYNCED, 0),
        "failed": counts.get(SyncState.FAILED, 0),
        "waiting": counts.get(SyncState.PENDING, 0) + counts.get(SyncState.SYNCING, 0),
    }


# --- Activities ---------------------------------------------------------------------
@transaction.atomic
def record_activity(*, contact: Contact, planning_type: PlanningType, source: str) -> Activity:
    """Record an activity: the worker syncs the contact if needed and starts the type's
    automation in ActiveCampaign."""
    if planning_type.organization_id != contact.organization_id:
        raise PermanentError("The planning type belongs to another organization.")
    return Activity.objects.create(
        organization_id=contact.organization_id, contact=contact, planning_type=planning_type,
        due_at=timezone.now(), source=source[:64],
    )  # fmt: skip


# --- The worker ------------------------------------------------------------------------
def due_q(now: datetime) -> Q:
    waiting = Q(status__in=[SyncState.PENDING, SyncState.FAILED], due_at__lte=now)
    return waiting | Q(status=SyncState.SYNCING, lease_expires_at__lt=now)


def connections_with_work(now: datetime) -> list[int]:
    """The connections that have due rows and no live worker."""
    busy = Q(worker_until__gt=now)
    orgs = set(ContactSync.objects.filter(due_q(now)).values_list("organization_id", flat=True).distinct())
    orgs |= set(Activity.objects.filter(due_q(now)).values_list("organization_id", flat=True).distinct())
    return list(
        ActiveCampaignConnection.objects.filter(organization_id__in=orgs, is_active=True)
        .exclude(busy)
        .values_list("pk", flat=True)
    )


def lease_worker(connection_id: int, now: datetime) -> bool:
    """Become the connection's one worker (a conditional UPDATE: one wins)."""
    until = now + timedelta(seconds=settings.ENGAGE_LEASE_SECONDS)
    free = Q(worker_until__isnull=True) | Q(worker_until__lte=now)
    return ActiveCampaignConnection.objects.filter(free, pk=connection_id).update(worker_until=until) == 1


def dispatch_due(*, limit: int = 100) -> int:
    """Start a worker task for each connection with due work (called by the dispatcher)."""
    from django_q.tasks import async_task

    now = timezone.now()
    started = 0
    for connection_id in connections_with_work(now)[:limit]:
        if lease_worker(connection_id, now):
            async_task("integrations.activecampaign.tasks.work", connection_id, task_name=f"ac {connection_id}")
            started += 1
    return started


def work(*, connection_id: int, budget: float = WORK_SECONDS, idle_stop: float = 1.0, threads: int = 2) -> int:
    """The connection's worker: push due rows until none has been due for `idle_stop`
    seconds or the budget is spent. Returns how many rows it finished.

    Two threads share the account's bucket: while one writes down what a request did and
    claims its next row, the other's request goes out, so the bucket's pace is not lost to
    the database work between requests."""
    results: list[int] = []
    helpers = [
        threading.Thread(target=lambda: results.append(_work_loop(connection_id, budget, idle_stop, own_db=True)))
        for _ in range(threads - 1)
    ]
    for helper in helpers:
        helper.start()
    try:
        results.append(_work_loop(connection_id, budget, idle_stop))
        for helper in helpers:
            helper.join()
    finally:
        ActiveCampaignConnection.objects.filter(pk=connection_id).update(worker_until=None)
    return sum(results)


def _work_loop(connection_id: int, budget: float, idle_stop: float, *, own_db: bool = False) -> int:
    deadline = time.monotonic() + budget
    idle_since = time.monotonic()
    read_at = -CONNECTION_REREAD
    done = 0
    try:
        while time.monotonic() < deadline:
            if time.monotonic() - read_at >= CONNECTION_REREAD:
                # Reading the connection (and renewing the lease) once a second, not per row,
                # leaves the time between two requests to the requests themselves.
                connection = _read_connection(connection_id)
                read_at = time.monotonic()
                if not connection.is_active:
                    break
            if process_next(connection):
                done, idle_since = done + 1, time.monotonic()
            elif time.monotonic() - idle_since >= idle_stop:
                break
            else:
                time.sleep(IDLE_POLL)
    finally:
        if own_db:
            db.connection.close()
    return done


def _read_connection(connection_id: int) -> ActiveCampaignConnection:
    ActiveCampaignConnection.objects.filter(pk=connection_id).update(
        worker_until=timezone.now() + timedelta(seconds=settings.ENGAGE_LEASE_SECONDS)
    )
    return (
        ActiveCampaignConnection.objects.select_related("organization", "pool")
        .prefetch_related("field_mappings", "list_mappings")
        .get(pk=connection_id)
    )


def process_next(connection: ActiveCampaignConnection, now: datetime | None = None) -> bool:
    """Do the most urgent due thing: a changed contact, an activity, then a resync item."""
    now = now or timezone.now()
    row = _claim(ContactSync, connection, now, order=("priority", "due_at"), priority=ContactSync.Priority.CHANGE)
    if row is not None:
        push_contact(connection, row)
        return True
    activity = _claim(Activity, connection, now, order=("due_at",))
    if activity is not None:
        start_activity(connection, activity)
        return True
    row = _claim(ContactSync, connection, now, order=("priority", "due_at"))
    if row is not None:
        push_contact(connection, row)
        return True
    return False


def _claim(model, connection, now: datetime, *, order: tuple[str, ...], **only: Any):
    """Claim the first due row of the connection's organization (conditional UPDATE)."""
    due = due_q(now) & Q(organization_id=connection.organization_id, **only)
    with transaction.atomic():
        pk = (
            model.objects.filter(due).order_by(*order).select_for_update(skip_locked=True).values_list("pk", flat=True)
        ).first()
        if pk is None:
            return None
        token = uuid.uuid4()
        taken = model.objects.filter(due, pk=pk).update(
            status=SyncState.SYNCING, claim_token=token, lease_expires_at=leases.lease_until(now),
            attempts=F("attempts") + 1,
        )  # fmt: skip
    return model.objects.select_related("contact").get(pk=pk) if taken else None


def claim_activity(activity: Activity, now: datetime) -> Activity | None:
    """Claim this activity now, due or not (a job starts it at once)."""
    token = uuid.uuid4()
    free = ~Q(status=SyncState.SYNCING, lease_expires_at__gte=now) & ~Q(status=SyncState.SYNCED)
    taken = Activity.objects.filter(free, pk=activity.pk).update(
        status=SyncState.SYNCING, claim_token=token, lease_expires_at=leases.lease_until(now),
        attempts=F("attempts") + 1,
    )  # fmt: skip
    return Activity.objects.select_related("contact", "planning_type").get(pk=activity.pk) if taken else None


# --- Pushing a contact ---------------------------------------------------------------
def push_contact(connection: ActiveCampaignConnection, row: ContactSync) -> None:
    version, token = row.version, row.claim_token
    client = Client(connection)
    try:
        if row.contact.erased_at is not None:
            if row.remote_id:
                client.delete_contact(row.remote_id)
            row.remote_id, row.remote_tags, row.remote_lists, row.remote_account, row.sent_hash = "", {}, {}, "", ""
        elif pooled(connection, row.contact):
            _push(connection, client, row)
        elif row.remote_id:
            _leave_pool(client, row)
    except (TransientError, PermanentError) as exc:
        _failed(row, exc)
        return
    finally:
        _save_progress(row, token)
    now = timezone.now()
    finished = ContactSync.objects.filter(pk=row.pk, claim_token=token, version=version).update(
        status=SyncState.SYNCED, synced_at=now, error="", attempts=0, due_at=None, claim_token=None,
        lease_expires_at=None,
    )  # fmt: skip
    if not finished:  # changed while it was pushed: push again
        ContactSync.objects.filter(pk=row.pk, claim_token=token).update(
            status=SyncState.PENDING, due_at=now, error="", attempts=0, claim_token=None, lease_expires_at=None
        )


def _save_progress(row: ContactSync, token: uuid.UUID | None) -> None:
    """What ActiveCampaign already holds is kept even when a later step failed."""
    ContactSync.objects.filter(pk=row.pk, claim_token=token).update(
        remote_id=row.remote_id, remote_tags=row.remote_tags, remote_lists=row.remote_lists,
        remote_account=row.remote_account, sent_hash=row.sent_hash,
    )  # fmt: skip


def _failed(row: ContactSync | Activity, exc: Exception) -> None:
    """Transient: retried after a backoff (or the 429's Retry-After), however long it takes.
    A refusal waits for the next change (or a resync)."""
    due = None
    if isinstance(exc, TransientError):
        wait = leases.backoff(row.attempts, base=RETRY_BASE)
        if isinstance(exc, RateLimited):
            wait = max(wait, timedelta(seconds=exc.retry_after))
        due = timezone.now() + wait
    type(row).objects.filter(pk=row.pk, claim_token=row.claim_token).update(
        status=SyncState.FAILED, error=str(exc)[:2000], due_at=due, claim_token=None, lease_expires_at=None
    )


def contact_body(connection: ActiveCampaignConnection, contact: Contact) -> dict[str, Any]:
    data: dict[str, Any] = {"email": contact.email, "firstName": contact.first_name, "lastName": contact.last_name}
    if contact.phone:
        data["phone"] = contact.phone
    values = [
        {"field": m.remote_field, "value": _value(contact, m.engage_field)}
        for m in sorted(connection.field_mappings.all(), key=lambda m: m.remote_field)
    ]
    if values:
        data["fieldValues"] = values
    return data


def _value(contact: Contact, field: str) -> str:
    if field.startswith("attributes."):
        value = contact.attributes.get(field.removeprefix("attributes."))
    else:
        value = getattr(contact, field, "") if field in STANDARD_FIELDS else ""
    return "" if value is None else str(value)


def _push(connection: ActiveCampaignConnection, client: Client, row: ContactSync) -> None:
    contact = row.contact
    body = contact_body(connection, contact)
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    if digest != row.sent_hash or not row.remote_id:
        row.remote_id, row.sent_hash = client.sync_contact(body), digest
    wanted = set(contact.tags.values_list("name", flat=True))
    for name in sorted(wanted - set(row.remote_tags)):
        row.remote_tags[name] = client.add_tag(row.remote_id, _tag_id(connection, client, name))
    for name in sorted(set(row.remote_tags) - wanted):
        client.remove_tag(row.remote_tags.pop(name))
    mappings = sorted(connection.list_mappings.all(), key=lambda m: m.remote_list)
    receiving = set(
        Membership.objects.filter(contact=contact, state__in=Membership.RECEIVING).values_list("group_id", flat=True)
    ) if mappings else set()  # fmt: skip
    for mapping in mappings:
        status = "1" if mapping.group_id in receiving else "2"
        known = row.remote_lists.get(mapping.remote_list)
        if known != status and (known is not None or status == "1"):
            client.set_list_status(row.remote_id, mapping.remote_list, status)
            row.remote_lists[mapping.remote_list] = status
    company = contact.company.strip()
    if company and company != row.remote_account:
        client.link_account(row.remote_id, _account_id(connection, client, company))
        row.remote_account = company


def _leave_pool(client: Client, row: ContactSync) -> None:
    """Left the pool: untagged and unsubscribed from the mapped lists, not deleted."""
    for name in sorted(row.remote_tags):
        client.remove_tag(row.remote_tags.pop(name))
    for list_id, status in sorted(row.remote_lists.items()):
        if status == "1":
            client.set_list_status(row.remote_id, list_id, "2")
            row.remote_lists[list_id] = "2"


def _tag_id(connection: ActiveCampaignConnection, client: Client, name: str) -> str:
    """The tag's id there, found or created once and then cached on the connection."""
    cached = connection.tag_ids.get(name.lower())
    if cached:
        return cached
    tag_id = client.tag_id(name, TAG_DESCRIPTION)
    connection.tag_ids[name.lower()] = tag_id
    ActiveCampaignConnection.objects.filter(pk=connection.pk).update(tag_ids=connection.tag_ids)
    return tag_id


def _account_id(connection: ActiveCampaignConnection, client: Client, name: str) -> str:
    cached = connection.account_ids.get(name.lower())
    if cached:
        return cached
    account_id = client.account_id(name)
    connection.account_ids[name.lower()] = account_id
    ActiveCampaignConnection.objects.filter(pk=connection.pk).update(account_ids=connection.account_ids)
    return account_id


# --- Starting an activity's automation --------------------------------------------------
def ensure_synced(connection: ActiveCampaignConnection, contact: Contact) -> str:
    """The contact's id in ActiveCampaign, pushed first unless it is synced and unchanged."""
    row, _ = ContactSync.objects.get_or_create(
        contact=contact, defaults={"organization_id": contact.organization_id, "due_at": timezone.now()}
    )
    if row.status == SyncState.SYNCED and row.remote_id:
        return row.remote_id
    token = uuid.uuid4()
    claimable = Q(pk=row.pk) & ~Q(status=SyncState.SYNCING, lease_expires_at__gte=timezone.now())
    taken = ContactSync.objects.filter(claimable).update(
        status=SyncState.SYNCING, claim_token=token, lease_expires_at=leases.lease_until(timezone.now()),
        attempts=F("attempts") + 1,
    )  # fmt: skip
    if not taken:
        raise TransientError("The contact is being synced to ActiveCampaign right now.")
    claimed = ContactSync.objects.select_related("contact").get(pk=row.pk)
    client = Client(connection)
    try:
        _push(connection, client, claimed)
    except (TransientError, PermanentError) as exc:
        _save_progress(claimed, claimed.claim_token)
        _failed(claimed, exc)
        raise
    _save_progress(claimed, claimed.claim_token)
    ContactSync.objects.filter(pk=claimed.pk, claim_token=claimed.claim_token).update(
        status=SyncState.SYNCED, synced_at=timezone.now(), error="", attempts=0, due_at=None,
        claim_token=None, lease_expires_at=None,
    )  # fmt: skip
    return claimed.remote_id


def start_activity(connection: ActiveCampaignConnection, activity: Activity) -> None:
    try:
        contact_id = ensure_synced(connection, activity.contact)
        remote = Client(connection).add_to_automation(contact_id, activity.planning_type.automation)
    except (TransientError, PermanentError) as exc:
        _failed(activity, exc)
        return
    Activity.objects.filter(pk=activity.pk, claim_token=activity.claim_token).update(
        status=SyncState.SYNCED, remote_id=remote, synced_at=timezone.now(), error="", due_at=None,
        claim_token=None, lease_expires_at=None,
    )  # fmt: skip


# --- Feedback from ActiveCampaign's webhooks --------------------------------------------
SOURCE = "ActiveCampaign"
PROFILE_KEYS = {"first_name": "first_name", "last_name": "last_name", "phone": "phone"}


@transaction.atomic
def apply_feedback(*, connection: ActiveCampaignConnection, contact: Contact, payload: dict[str, Any]) -> list[str]:
    """What a webhook says changes the contact here: empty names and phone are filled in, an
    unsubscribe from a mapped list unsubscribes from its group (consent source
    "ActiveCampaign"), a tag added or removed there is added or removed here. Returns what
    was done, for the notification's record."""
    done: list[str] = []
    data = payload.get("contact") if isinstance(payload.get("contact"), dict) else {}
    fields = {
        ours: str(data[theirs]).strip()[:100]
        for theirs, ours in PROFILE_KEYS.items()
        if str(data.get(theirs) or "").strip() and not getattr(contact, ours)
    }
    if fields:
        contacts_services.update_profile(contact=contact, fields=fields, source=SOURCE)
        done.append("profile")
    kind = str(payload.get("type") or "")
    if kind == "unsubscribe":
        mapping = connection.list_mappings.filter(remote_list=str(payload.get("list") or "")).first()
        if mapping is not None:
            contacts_services.unsubscribe(
                contact=contact, group=mapping.group, source=SOURCE, reason=str(payload.get("reason") or "")[:500]
            )
            _known_there(contact, lists={mapping.remote_list: "2"})
            done.append(f"unsubscribed from {mapping.group.name}")
    tag = str(payload.get("tag") or "").strip()[:100]
    if kind == "contact_tag_added" and tag:
        contacts_services.add_tag(contact=contact, name=tag)
        done.append(f"tag {tag} added")
    elif kind == "contact_tag_removed" and tag:
        contacts_services.remove_tag(contact=contact, name=tag)
        done.append(f"tag {tag} removed")
    return done


def _known_there(contact: Contact, *, lists: dict[str, str]) -> None:
    """ActiveCampaign itself made this change: the next push need not repeat it."""
    row = ContactSync.objects.select_for_update().filter(contact=contact).first()
    if row is not None:
        row.remote_lists = {**row.remote_lists, **lists}
        row.save(update_fields=["remote_lists"])


# --- The connection: testing it, reading the account, registering webhooks -------------
WEBHOOK_EVENTS = ("subscribe", "unsubscribe", "update", "contact_tag_added", "contact_tag_removed")


def test_connection(connection: ActiveCampaignConnection) -> str:
    """One call with the stored key; says plainly what happened: "accepted", "wrong token"
    or "unreachable" (with ActiveCampaign's message)."""
    try:
        Client(connection).check()
    except WrongToken:
        return "wrong token"
    except (TransientError, PermanentError):
        return "unreachable"
    return "accepted"


def refresh_catalogue(*, connection: ActiveCampaignConnection) -> dict[str, dict[str, str]]:
    """Read the account's automations, lists and custom fields, for the pickers."""
    client = Client(connection)
    catalogue = {kind: client.names(kind) for kind in ("automations", "lists", "fields")}
    connection.catalogue, connection.catalogue_read_at = catalogue, timezone.now()
    connection.save(update_fields=["catalogue", "catalogue_read_at"])
    return catalogue


def webhook_url(connection: ActiveCampaignConnection) -> str:
    return f"{settings.BASE_URL}{reverse('integrations:activecampaign', args=[connection.webhook_token])}"


def register_webhook(*, connection: ActiveCampaignConnection, events: list[str]) -> str:
    """Register Engage's webhook URL in ActiveCampaign for `events`; returns its id there."""
    unknown = set(events) - set(WEBHOOK_EVENTS)
    if unknown or not events:
        raise PermanentError(f"Unknown webhook events: {sorted(unknown)}" if unknown else "Choose events.")
    webhook_id = Client(connection).create_webhook(name="Engage", url=webhook_url(connection), events=list(events))
    connection.webhook_ids = [*connection.webhook_ids, webhook_id]
    connection.save(update_fields=["webhook_ids"])
    return webhook_id
