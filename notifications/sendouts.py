"""Group sendouts: one prepared message to every member of some groups, at volume.

The truth lives in two tables. `Sendout` moves draft → scheduled → sending → sent (or
paused, cancelled); a worker drives a sending sendout under a lease, like runs and mails,
so a worker that dies leaves a lease that runs out and the dispatcher hands the sendout
to another one. `SendoutRecipient` holds one row per contact, unique per sendout:

1. *resolve*: the audience is copied into the table in keyset-paginated batches with
   INSERT … SELECT … ON CONFLICT DO NOTHING; a resolve interrupted half-way resumes after
   the highest contact id already there, and the constraint drops what was copied twice.
2. *fan out*, in batches: pending rows are rendered, then taken with a conditional UPDATE
   and their mails written to the outbox with `bulk_create`, in one transaction (rows
   another worker took meanwhile get no mail). A crash rolls back both; a second worker
   finds nothing pending. The outbox then sends them (suppression checked again at send
   time, the campaign rate tier).
3. *finish*: when nothing is pending or still in the outbox, the sendout is *sent* and
   *group sendout finished* fires with the counts.

Resolving and fanning out interleave: the worker resolves one batch of contacts, queues
the first of them and sends those itself at once, so the first mails leave within a
second or so of *send now*, whatever the audience's size (an A/B test resolves everybody
first, to split them). Later batches go to the other workers through the task queue;
while that queue is long, the worker sends its batch itself instead, so the queue never
holds more than a few batches and a sendout started or handed out meanwhile does not wait
behind them.
"""

from __future__ import annotations

import logging
import time
import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from email.utils import make_msgid

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_noop

from contacts.models import Contact, Membership, Suppression
from contacts.selections import compile_definition
from contacts.suppression import normalize
from engage.errors import PermanentError
from engage.events import EventType, Scope, record_event
from engage.lib import memo
from engage.lib.leases import claim, lease_until, take_over
from engage.notes import note, sentence
from notifications import mailsettings, sendout_ab
from notifications.models import OutboundMessage, PreparedMessage, Sendout, SendoutRecipient
from notifications.prepared import render_prepared
from notifications.services import RenderedMail, _domain_of, deliver, enqueue_mail, hand_to_worker, send_mail

logger = logging.getLogger(__name__)

NO_VARIANT = sentence(gettext_noop("The prepared message “%(message)s” has no language variant."))

# Recipients copied into the table per INSERT, and rendered into the outbox per transaction.
RESOLVE_BATCH = 5000
FAN_OUT_BATCH = 500
# A worker's first batch is small, so that the first mails leave at once.
FIRST_BATCH = 50
# Mails handed to one send task (sent over one SMTP connection per 50, see smtppool).
SEND_CHUNK = 200
# With more send tasks than this waiting in the queue, the worker sends its batch itself.
QUEUE_AHEAD = 4
# How often a sendout whose mails are all in the outbox is looked at again to finish it.
FINISH_CHECK = timedelta(seconds=2)

RECEIVING = Membership.RECEIVING
OUTSTANDING = (OutboundMessage.Status.QUEUED, OutboundMessage.Status.SENDING)


# --- who gets it ---------------------------------------------------------------------


def audience(sendout: Sendout) -> models.QuerySet[Contact]:
    """Contacts who receive the mail of one of the sendout's groups, narrowed by its
    selection; evaluated now."""
    # The group ids as values, not a subquery: PostgreSQL, whose statistics may still miss
    # a fresh import, could otherwise scan all the groups' members again for each contact.
    groups = list(sendout.groups.values_list("pk", flat=True))
    member = Membership.objects.filter(contact_id=models.OuterRef("pk"), group_id__in=groups, state__in=RECEIVING)
    contacts = Contact.objects.filter(models.Exists(member), organization_id=sendout.organization_id)
    if sendout.selection_id is not None:
        contacts = contacts.filter(compile_definition(sendout.organization, sendout.selection.definition))
    return contacts


def _not_suppressed(contacts: models.QuerySet[Contact]) -> models.QuerySet[Contact]:
    listed = Suppression.objects.filter(
        organization_id=models.OuterRef("organization_id"), address=Lower(models.OuterRef("email"))
    )
    return contacts.exclude(models.Exists(listed))


def count_recipients(sendout: Sendout) -> int:
    """How many contacts would get the sendout if it started now (suppressed and
    unsubscribed addresses left out)."""
    return _not_suppressed(audience(sendout)).count()


# --- writes of the marketer --------------------------------------------------------------


@transaction.atomic
def create_sendout(
    *,
    organization,
    name: str,
    message: PreparedMessage,
    groups,
    selection=None,
    from_email: str = "",
    from_name: str = "",
    created_by=None,
    **ab_test,
) -> Sendout:
    """A draft. `ab_test` takes the A/B subject test's fields (ab_test, ab_subject,
    ab_share, ab_wait_minutes, ab_rule)."""
    if message.organization_id != organization.pk:
        raise ValueError("The prepared message belongs to another organization.")
    groups = list(groups)
    if not groups or any(group.organization_id != organization.pk for group in groups):
        raise ValueError("A sendout needs groups of its own organization.")
    if selection is not None and selection.organization_id != organization.pk:
        raise ValueError("The selection belongs to another organization.")
    sendout = Sendout.objects.create(
        organization=organization, name=name, message=message, selection=selection, from_email=from_email,
        from_name=from_name, created_by=created_by, **ab_test,
    )  # fmt: skip
    sendout.groups.set(groups)
    return sendout


def local_moment(day: date, at: clock, time_zone: str) -> datetime:
    """The instant a marketer means by a date and time on the wall clock of `time_zone`."""
    return datetime.combine(day, at, tzinfo=zoneinfo.ZoneInfo(time_zone))


def _move(sendout: Sendout, *, from_: tuple[str, ...], to: str, **changes) -> bool:
    """Change the status only if it is still one of `from_`: a conditional UPDATE, so a
    button pressed twice, or pressed while a worker finishes, changes it once."""
    moved = Sendout.objects.filter(pk=sendout.pk, status__in=from_).update(status=to, **changes)
    if moved:
        sendout.refresh_from_db()
    return bool(moved)


@transaction.atomic
def schedule_sendout(*, sendout: Sendout, at: datetime, time_zone: str = "") -> bool:
    changes = {"scheduled_at": at, "time_zone": time_zone or sendout.time_zone}
    return _move(
        sendout, from_=(Sendout.Status.DRAFT, Sendout.Status.SCHEDULED), to=Sendout.Status.SCHEDULED, **changes
    )


@transaction.atomic
def start_sendout(*, sendout: Sendout) -> bool:
    """Send now: the sendout is handed to a worker once this transaction commits."""
    started = _move(
        sendout, from_=(Sendout.Status.DRAFT, Sendout.Status.SCHEDULED), to=Sendout.Status.SENDING,
        started_at=timezone.now(), claim_token=None, lease_expires_at=None,
    )  # fmt: skip
    if started:
        transaction.on_commit(lambda: hand_sendout(sendout.pk))
    return started


@transaction.atomic
def pause_sendout(*, sendout: Sendout) -> bool:
    """Stop queueing mail. What is already in the outbox (at most one batch) still leaves."""
    return _move(sendout, from_=(Sendout.Status.SENDING,), to=Sendout.Status.PAUSED)


@transaction.atomic
def resume_sendout(*, sendout: Sendout) -> bool:
    resumed = _move(
        sendout, from_=(Sendout.Status.PAUSED,), to=Sendout.Status.SENDING, claim_token=None, lease_expires_at=None
    )
    if resumed:
        transaction.on_commit(lambda: hand_sendout(sendout.pk))
    return resumed


@transaction.atomic
def cancel_sendout(*, sendout: Sendout) -> bool:
    """Nobody still waiting gets the mail; a draft or scheduled sendout never starts."""
    cancellable = (Sendout.Status.DRAFT, Sendout.Status.SCHEDULED, Sendout.Status.SENDING, Sendout.Status.PAUSED)
    cancelled = _move(sendout, from_=cancellable, to=Sendout.Status.CANCELLED, finished_at=timezone.now())
    if cancelled:
        SendoutRecipient.objects.filter(sendout=sendout, status=SendoutRecipient.Status.PENDING).update(
            status=SendoutRecipient.Status.CANCELLED
        )
    return cancelled


def send_test(*, sendout: Sendout, to: str, contact: Contact | None = None) -> OutboundMessage:
    """Send the sendout's mail to `to` now, rendered as `contact` would get it (or with
    empty dynamic text), the subject marked as a test."""
    mail = render_for(sendout, contact)
    test = RenderedMail(subject=f"[Test] {mail.mail.subject}", text=mail.mail.text, html=mail.mail.html)
    return send_mail(organization=sendout.organization, to=to, mail=test, from_email=mail.from_email or None)


def render_for(sendout: Sendout, contact: Contact | None, *, subject: str | None = None):
    """The mail as `contact` gets it. A group sendout is campaign mail whatever the prepared
    message says: every mail carries the unsubscribe link and the one-click headers.
    `subject` replaces the message's subject (subject B of an A/B test)."""
    message = memo.remembered(("sendout-message", sendout.message_id), lambda: _campaign_message(sendout))
    prepared = render_prepared(message, contact=contact, subject=subject)
    if sendout.from_email:
        from_email = mailsettings.sender(sendout.organization, sendout.from_email, sendout.from_name)
        prepared = type(prepared)(prepared.mail, prepared.headers, from_email)
    return prepared


def _campaign_message(sendout: Sendout) -> PreparedMessage:
    message = PreparedMessage.objects.select_related("organization").get(pk=sendout.message_id)
    message.is_marketing = True  # in memory only
    return message


# --- the worker's side -------------------------------------------------------------------


def hand_sendout(sendout_id: int) -> None:
    """Claim the sendout and hand it to a worker. Should that fail, the dispatcher does it."""
    from django_q.tasks import async_task

    try:
        claimed = _claim(ids=[sendout_id])
        if claimed is not None:
            async_task("notifications.tasks.advance_sendout", str(claimed.token), task_name=f"sendout {sendout_id}")
    except Exception:
        logger.exception("Could not hand sendout %s to a worker; the dispatcher will", sendout_id)


def hand_sendouts(ids: list[int]) -> None:
    """Hand sendouts given back by a dead or stopping worker to workers again."""
    for sendout_id in ids:
        hand_sendout(sendout_id)


def dispatch_due_sendouts(*, now: datetime | None = None) -> int:
    """Start scheduled sendouts that are due, and hand out sending ones nobody holds (new,
    resumed, waiting for their last mails, or left by a worker that died)."""
    from django_q.tasks import async_task

    now = now or timezone.now()
    for sendout in Sendout.objects.filter(status=Sendout.Status.SCHEDULED, scheduled_at__lte=now):
        start_sendout(sendout=sendout)
    handed = 0
    # A read first: on SQLite a claim's transaction takes the write lock, even when idle.
    while Sendout.objects.filter(_due(now)).exists() and (claimed := _claim(now=now)) is not None:
        async_task("notifications.tasks.advance_sendout", str(claimed.token), task_name=f"sendout {claimed.token}")
        handed += 1
    return handed


def _claim(*, ids: list[int] | None = None, now: datetime | None = None):
    now = now or timezone.now()
    return claim(Sendout, _due(now), order_by="pk", limit=1, now=now, ids=ids, status=Sendout.Status.SENDING)


def _due(now: datetime) -> models.Q:
    free = models.Q(lease_expires_at__isnull=True) | models.Q(lease_expires_at__lt=now)
    return models.Q(status=Sendout.Status.SENDING) & free


def advance(token: uuid.UUID | str) -> None:
    """Drive the sendout held under `token`: resolve its recipients batch by batch, queue
    their mail as they come while it is still sending, and finish it when everything has
    left. A worker gives it back after half the task timeout; the dispatcher hands it out
    again."""
    token = take_over(Sendout, token, status=Sendout.Status.SENDING)
    if token is None:
        return
    sendout = Sendout.objects.select_related("organization", "selection").get(claim_token=token)
    if sendout.ab_test and sendout.resolved_at is None:
        resolve(sendout)  # the split needs everybody
    if sendout.ab_test and sendout.ab_decide_at is None:
        sendout_ab.split(sendout)
    deadline = time.monotonic() + settings.Q_CLUSTER["timeout"] / 2
    size = FIRST_BATCH
    while time.monotonic() < deadline:
        if not _still_held(sendout, token):
            return  # paused, cancelled, or taken over
        resolved = sendout.resolved_at is not None or resolve_batch(sendout)
        with memo.batch():
            # The first batch leaves from here at once, the others through the queue.
            here = size == FIRST_BATCH or _queue_is_long()
            if fan_out_batch(sendout, size=size, send_here=here) == 0 and resolved:
                if not sendout_ab.waiting_for_winner(sendout):
                    break
                if not sendout_ab.decide(sendout):
                    # The sample is queued; the dispatcher hands the sendout out again when
                    # the wait is over.
                    _release(sendout, token, after=max(sendout.ab_decide_at - timezone.now(), timedelta(0)))
                    return
        size = FAN_OUT_BATCH
    else:
        _release(sendout, token, after=timedelta(0))
        return
    if _outstanding(sendout):
        _release(sendout, token, after=FINISH_CHECK)
    else:
        finish(sendout, token)


def _queue_is_long() -> bool:
    from django_q.brokers import get_broker
    from django_q.conf import Conf

    if Conf.SYNC:
        return False
    try:
        return get_broker().queue_size() > QUEUE_AHEAD
    except Exception:
        logger.exception("Could not read the task queue's length")
        return True  # sent from here, the mails do not depend on the broker


def _still_held(sendout: Sendout, token) -> bool:
    """True if this worker still drives the sendout; renews the lease."""
    return bool(
        Sendout.objects.filter(pk=sendout.pk, claim_token=token, status=Sendout.Status.SENDING).update(
            lease_expires_at=lease_until(timezone.now())
        )
    )


def _release(sendout: Sendout, token, *, after: timedelta) -> None:
    Sendout.objects.filter(pk=sendout.pk, claim_token=token).update(
        claim_token=None, lease_expires_at=timezone.now() + after
    )


def resolve(sendout: Sendout) -> int:
    """Copy the whole audience into the recipient table (see resolve_batch); returns the
    number of recipients."""
    while not resolve_batch(sendout):
        pass
    return sendout.recipient_count


def resolve_batch(sendout: Sendout) -> bool:
    """Copy the next RESOLVE_BATCH contacts of the audience, in contact id order, into the
    recipient table with INSERT … SELECT (no contact passes through Python); returns True
    once everybody is there. It resumes after the highest contact id copied, whoever copied
    it, and ON CONFLICT drops repeats."""
    last = SendoutRecipient.objects.filter(sendout=sendout).aggregate(last=models.Max("contact_id"))["last"] or 0
    contacts = _not_suppressed(audience(sendout)).order_by("pk").values_list("pk", flat=True).filter(pk__gt=last)
    boundary = contacts[RESOLVE_BATCH - 1 : RESOLVE_BATCH].first()
    _insert_recipients(sendout, contacts if boundary is None else contacts.filter(pk__lte=boundary))
    if boundary is not None:
        return False
    _resolved(sendout)
    return True


def _resolved(sendout: Sendout) -> None:
    with transaction.atomic():
        count = SendoutRecipient.objects.filter(sendout=sendout).count()
        Sendout.objects.filter(pk=sendout.pk).update(resolved_at=timezone.now(), recipient_count=count)
        sendout.resolved_at, sendout.recipient_count = timezone.now(), count
        record_event(
            organization=sendout.organization, type=EventType.SENDOUT_STARTED, user=sendout.created_by,
            scope=Scope.SYSTEM, payload={"sendout": sendout.pk, "name": sendout.name, "recipients": count},
            source="sendout", external_id=f"{sendout.pk}:started",
        )  # fmt: skip


def _insert_recipients(sendout: Sendout, contacts: models.QuerySet) -> None:
    # The SELECT is Django's own compilation of the queryset; every value is a parameter.
    select, params = contacts.order_by().values(chosen_id=models.F("pk")).query.sql_with_params()
    table = connection.ops.quote_name(SendoutRecipient._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (sendout_id, contact_id, status, variant) SELECT %s, chosen.chosen_id, %s, %s "  # noqa: S608
            f"FROM ({select}) chosen "
            # WHERE true: SQLite would read ON CONFLICT as the ON of a join otherwise.
            "WHERE true ON CONFLICT DO NOTHING",
            [sendout.pk, SendoutRecipient.Status.PENDING, "", *params],
        )


def fan_out_batch(sendout: Sendout, *, size: int = FAN_OUT_BATCH, send_here: bool = False) -> int:
    """Queue the mail of the next `size` pending recipients; returns how many were taken.
    The rows move to *queued* together with their outbox mails, in one transaction. Once
    it commits, the mails are handed to workers, or sent from this process (`send_here`)."""
    pending = SendoutRecipient.objects.filter(sendout=sendout, status=SendoutRecipient.Status.PENDING)
    if sendout_ab.waiting_for_winner(sendout):
        pending = pending.filter(variant__in=sendout_ab.SAMPLE)  # the rest waits for the winner
    rows = list(pending.select_related("contact").order_by("pk")[:size])
    if not rows:
        return 0
    for row in rows:
        row.contact.organization = sendout.organization  # one object, not one per row
    # Rendered before the transaction: on SQLite a transaction holds the write lock, which
    # the senders need to record their mails as sent.
    batch = _render_batch(sendout, rows)
    with transaction.atomic():
        mine = uuid.uuid4()
        # Checked again by the UPDATE: rows another worker took meanwhile are not matched.
        taken = SendoutRecipient.objects.filter(
            pk__in=[row.pk for row in rows], status=SendoutRecipient.Status.PENDING
        ).update(status=SendoutRecipient.Status.QUEUED, claim_token=mine)
        if taken < len(rows):
            batch = batch.only(set(SendoutRecipient.objects.filter(claim_token=mine).values_list("pk", flat=True)))
        queued = _queue_mails(batch)
        # The outbox takes the mails once they are committed; should this process die
        # first, or a worker not get them, the dispatcher's sweep sends them.
        if send_here:
            transaction.on_commit(lambda: _send_here(queued))
            return len(rows)
        for start in range(0, len(queued), SEND_CHUNK):
            chunk = queued[start : start + SEND_CHUNK]
            transaction.on_commit(lambda chunk=chunk: hand_to_worker(chunk))
    return len(rows)


def _send_here(ids: list[int]) -> None:
    try:
        deliver(ids)
    except Exception:
        # Claimed, they leave once their lease runs out (the dispatcher's sweep).
        logger.exception("Could not send mails %s; the dispatcher will", ids[:10])


@dataclass
class _Batch:
    """A fan-out batch, rendered: the mail of each recipient row that gets one, and the rows
    that get none (no longer receiving, or suppressed since the sendout started)."""

    mails: dict[int, OutboundMessage]
    skipped: list[int]
    held: list[int]

    def only(self, rows: set[int]) -> _Batch:
        return _Batch(
            {pk: mail for pk, mail in self.mails.items() if pk in rows},
            [pk for pk in self.skipped if pk in rows],
            [pk for pk in self.held if pk in rows],
        )


def _render_batch(sendout: Sendout, rows: list[SendoutRecipient]) -> _Batch:
    contact_ids = [row.contact_id for row in rows]
    addresses = {row.pk: normalize(row.contact.email) for row in rows}
    receiving = set(
        Membership.objects.filter(
            group__in=sendout.groups.all(), contact_id__in=contact_ids, state__in=RECEIVING
        ).values_list("contact_id", flat=True)
    )
    suppressed = set(
        Suppression.objects.filter(
            organization_id=sendout.organization_id, address__in=set(addresses.values())
        ).values_list("address", flat=True)
    )
    default_from = memo.remembered(
        ("default-from", sendout.organization_id), lambda: mailsettings.default_from(sendout.organization)
    )
    now, batch = timezone.now(), _Batch({}, [], [])
    for row in rows:
        if row.contact_id not in receiving:
            batch.skipped.append(row.pk)
        elif addresses[row.pk] in suppressed:
            batch.held.append(row.pk)
        else:
            prepared = render_for(sendout, row.contact, subject=sendout_ab.subject_for(sendout, row))
            from_email = prepared.from_email or default_from
            batch.mails[row.pk] = OutboundMessage(
                organization_id=sendout.organization_id,
                contact_id=row.contact_id,
                from_email=from_email,
                recipient=row.contact.email,
                subject=prepared.mail.subject,
                text_body=prepared.mail.text,
                html_body=prepared.mail.html,
                headers=prepared.headers,
                status=OutboundMessage.Status.QUEUED,
                message_id=make_msgid(domain=_domain_of(from_email)),
                next_attempt_at=now,
            )
    return batch


def _queue_mails(batch: _Batch) -> list[int]:
    """Write the batch's mails to the outbox and link each row to its mail; returns the ids
    of the queued mails."""
    OutboundMessage.objects.bulk_create(batch.mails.values())
    ids = [mail.pk for mail in batch.mails.values()]
    # One UPDATE links each row to its mail (bulk_update's CASE of 500 branches costs more
    # to build than the rendering).
    own_mail = OutboundMessage.objects.filter(pk__in=ids, contact_id=models.OuterRef("contact_id")).values("pk")[:1]
    SendoutRecipient.objects.filter(pk__in=list(batch.mails)).update(message=models.Subquery(own_mail))
    SendoutRecipient.objects.filter(pk__in=batch.skipped).update(status=SendoutRecipient.Status.SKIPPED)
    SendoutRecipient.objects.filter(pk__in=batch.held).update(status=SendoutRecipient.Status.SUPPRESSED)
    return ids


def _outstanding(sendout: Sendout) -> bool:
    return OutboundMessage.objects.filter(sendout_recipient__sendout=sendout, status__in=OUTSTANDING).exists()


def finish(sendout: Sendout, token) -> None:
    from notifications.reports import sendout_report

    with transaction.atomic():
        done = Sendout.objects.filter(pk=sendout.pk, claim_token=token, status=Sendout.Status.SENDING).update(
            status=Sendout.Status.SENT, finished_at=timezone.now(), claim_token=None, lease_expires_at=None
        )
        if not done:
            return
        counts = sendout_report(sendout).counts()
        record_event(
            organization=sendout.organization, type=EventType.SENDOUT_FINISHED, user=sendout.created_by,
            scope=Scope.SYSTEM, payload={"sendout": sendout.pk, "name": sendout.name, **counts},
            source="sendout", external_id=f"{sendout.pk}:finished",
        )  # fmt: skip


def require_sendable(sendout: Sendout) -> None:
    """Raise PermanentError if the sendout cannot be sent as it is."""
    if not sendout.message.variants.exists():
        raise PermanentError(note(NO_VARIANT, message=sendout.message))


def recent_sendouts(contact: Contact, *, count: int) -> list[Sendout]:
    """The latest sendouts whose mail the contact was sent, newest first."""
    rows = (
        SendoutRecipient.objects.filter(contact=contact, message__isnull=False)
        .select_related("sendout__organization")
        .order_by("-sendout__started_at", "-sendout_id")[:count]
    )
    return [row.sendout for row in rows]


def resend_recent(*, contact: Contact, count: int, run=None) -> list[OutboundMessage]:
    """Queue the latest `count` sendouts the contact was part of again, rendered afresh
    (call inside the run's transaction; the outbox sends after it commits)."""
    queued = []
    for sendout in recent_sendouts(contact, count=count):
        prepared = render_for(sendout, contact)
        message = enqueue_mail(
            organization=sendout.organization, to=contact.email, mail=prepared.mail, contact=contact, run=run,
            from_email=prepared.from_email or None, headers=prepared.headers,
        )  # fmt: skip
        queued.append(message)
    return queued
