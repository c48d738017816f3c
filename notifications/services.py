"""Sending mail through the outbox.

Every mail is first a row in `OutboundMessage` (status *queued*), written in the same
transaction as the business change that causes it. A sender then claims queued rows in a
batch (a conditional UPDATE to *sending* with a token and a lease, like runs), sends the
batch over one connection of the configured Django/anymail backend, and records each
result: *sent*, *failed* (permanent), or *queued* again with a later attempt (transient).
A sender that dies leaves a lease that runs out; the dispatcher hands the mail out again.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import re
import smtplib
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import make_msgid
from itertools import groupby

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django import db
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from contacts.models import Contact, Organization, Suppression
from contacts.suppression import normalize
from engage import crypto
from engage.errors import PermanentError, TransientError
from engage.events import EventType, NewEvent, listened, record_events
from engage.lib import processes
from engage.lib.leases import Claim, backoff, claim, release, renew, renewal_due, take_over
from engage.notes import note, sentence
from notifications import conversations, esp, linktracking, mailsettings, ratelimit, smtppool
from notifications.backends import EmailBackend as EngageSMTPBackend
from notifications.models import TRACKING_ORDER, Conversation, OutboundMessage

logger = logging.getLogger(__name__)

# Why a mail failed (see engage.notes).
REFUSED = sentence(gettext_noop("Recipient refused: %(reply)s"))
REFUSED_BY_ESP = sentence(gettext_noop("Recipient refused by the ESP: %(error)s"))
ESP_ERROR = sentence(gettext_noop("ESP error %(status)s: %(error)s"))
TLS_ERROR = sentence(gettext_noop("TLS error: %(error)s"))
UNREACHABLE = sentence(gettext_noop("Mail server unreachable: %(error)s"))

_collecting: ContextVar[list[OutboundMessage] | None] = ContextVar("engage_collected_mail", default=None)

REDACTED = "••••••••"
# How long the dispatcher's sweep leaves a run's new mail to the worker that queued it.
OUTBOX_GRACE = timedelta(seconds=5)
# Accepted mails are recorded as sent in groups of this many, or after this long.
SENT_FLUSH = 50
SENT_FLUSH_SECONDS = 0.2
MESSAGE_ID = re.compile(r"<([^<>]+)>")
# Sent to the provider with every mail; its tracking events carry it back (tracking.py).
METADATA_KEY = "engage_message_id"


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str = ""
    # Values that must reach the recipient but never the outbox in readable form.
    secrets: tuple[str, ...] = field(default=())

    def redacted(self, body: str) -> str:
        for secret in self.secrets:
            body = body.replace(secret, REDACTED)
        return body


def render_mail(
    template: str, context: dict, *, language: str | None = None, secrets: tuple[str, ...] = ()
) -> RenderedMail:
    """Render `templates/emails/<template>.{subject.txt,txt,html}` in the recipient's language."""
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"emails/{template}.subject.txt", context)
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    # A subject is one line, whatever the template or the data put into it.
    subject = " ".join(subject.split())
    return RenderedMail(subject=subject, text=text, html=html, secrets=secrets)


def enqueue_mail(
    *,
    organization: Organization,
    to: str,
    mail: RenderedMail,
    contact: Contact | None = None,
    run=None,
    from_email: str | None = None,
    headers: dict[str, str] | None = None,
    conversation: Conversation | None = None,
) -> OutboundMessage:
    """Put one mail in the outbox. Call it inside the transaction of the change that
    causes the mail; deliver it after that transaction commits. A mail given a
    `conversation` (see conversations.conversation_for) continues it."""
    if conversation is not None and conversation.organization_id != organization.pk:
        raise ValueError("The conversation belongs to another organization.")
    from_email = from_email or mailsettings.default_from(organization)
    secret_values = ""
    if mail.secrets:
        secret_values = crypto.encrypt(json.dumps({"text": mail.text, "html": mail.html}))
    if conversation is not None:
        conversations.touch(conversation)
        headers = {**conversations.reply_headers(conversation), **(headers or {})}
    message = OutboundMessage(
        organization=organization,
        contact=contact,
        run=run,
        conversation=conversation,
        from_email=from_email,
        recipient=to,
        subject=mail.subject,
        text_body=mail.redacted(mail.text),
        html_body=mail.redacted(mail.html),
        secret_values=secret_values,
        headers=headers or {},
        status=OutboundMessage.Status.QUEUED,
        message_id=make_msgid(domain=_domain_of(from_email)),
        next_attempt_at=timezone.now(),
    )
    rows = _collecting.get()
    if rows is None:
        message.save(force_insert=True)
    else:
        rows.append(message)
    return message


@contextlib.contextmanager
def collecting_mail(rows: list[OutboundMessage]) -> Iterator[None]:
    """Inside, enqueue_mail adds each mail's row to `rows` (without an id yet) instead of
    inserting it; the caller inserts them all with `write_outbox(rows)` in the same
    transaction (the engine does so for a group of runs)."""
    token = _collecting.set(rows)
    try:
        yield
    finally:
        _collecting.reset(token)


def write_outbox(rows: list[OutboundMessage]) -> None:
    """Insert queued mails with one multi-row INSERT; each row gets its id."""
    OutboundMessage.objects.bulk_create(rows, batch_size=500)


def send_mail(
    *,
    organization: Organization,
    to: str,
    mail: RenderedMail,
    contact: Contact | None = None,
    run=None,
    from_email: str | None = None,
    headers: dict[str, str] | None = None,
    conversation: Conversation | None = None,
) -> OutboundMessage:
    """Send one mail now (test mails, system notifications), through the outbox.
    Raises TransientError or PermanentError when it was not accepted."""
    message = enqueue_mail(
        organization=organization, to=to, mail=mail, contact=contact, run=run, from_email=from_email, headers=headers,
        conversation=conversation,
    )  # fmt: skip
    deliver([message.pk])
    message.refresh_from_db()
    if message.status == OutboundMessage.Status.SUPPRESSED:
        return message  # not an error: the address asked (or bounced) not to get mail
    if message.status not in TRACKING_ORDER:  # accepted: sent, or reported on already
        kind = PermanentError if message.status == OutboundMessage.Status.FAILED else TransientError
        raise kind(message.error)
    return message


def send_after_commit(message: OutboundMessage) -> None:
    """Once the caller's transaction commits, claim the queued mail and hand it to a
    worker. Should that fail (the broker is down, the process dies), the mail waits in the
    outbox and the dispatcher's sweep sends it."""
    transaction.on_commit(lambda: hand_to_worker([message.pk]))


def hand_to_worker(ids: list[int]) -> None:
    """Claim these queued mails and hand them to a worker. Should that fail (the broker is
    down), they wait in the outbox, not under a lease, and the dispatcher sends them."""
    from django_q.tasks import async_task

    try:
        claimed = claim_messages(ids=ids, limit=len(ids))
    except Exception:
        logger.exception("Could not claim mails %s; the dispatcher will send them", ids)
        return
    if claimed is None:
        return  # taken by the dispatcher meanwhile
    try:
        async_task("notifications.tasks.send_messages", str(claimed.token), task_name=f"mail {claimed.token}")
    except Exception:
        # The broker is unreachable: give the mails back at once instead of waiting for the lease.
        logger.exception("Could not hand mails %s to a worker; the dispatcher will send them", ids)
        release(
            OutboundMessage, claimed.token, status=OutboundMessage.Status.SENDING, back_to=OutboundMessage.Status.QUEUED
        )


def deliver(ids: list[int]) -> int:
    """Send these queued messages now, in this process (after their transaction committed)."""
    claimed = claim_messages(ids=ids, limit=len(ids))
    return send_claimed(claimed.token) if claimed else 0


def dispatch_due_messages(*, limit: int = 100) -> int:
    """Hand one batch of due mails (retries, and those of senders that died) to a worker."""
    from django_q.tasks import async_task

    claimed = claim_messages(limit=limit)
    if claimed is None:
        return 0
    async_task("notifications.tasks.send_messages", str(claimed.token), task_name=f"mail {claimed.token}")
    return claimed.size


def claim_messages(*, ids: list[int] | None = None, limit: int = 100, now=None) -> Claim | None:
    """Claim queued mails that are due (or just those of `ids`), and those of senders whose
    lease ran out."""
    now = now or timezone.now()
    queued = models.Q(status=OutboundMessage.Status.QUEUED, next_attempt_at__lte=now)
    if ids is None:
        # The sweep leaves a run's new mail to the worker that queued it, which sends it
        # with the rest of its batch a moment later; should that worker die, the sweep
        # takes it after OUTBOX_GRACE.
        queued &= ~models.Q(run__isnull=False, attempts=0, created_at__gt=now - OUTBOX_GRACE)
    due = queued | models.Q(status=OutboundMessage.Status.SENDING, lease_expires_at__lt=now)
    return claim(
        OutboundMessage, due, order_by="next_attempt_at", limit=limit, now=now, ids=ids,
        status=OutboundMessage.Status.SENDING,
    )  # fmt: skip


def send_claimed(token: uuid.UUID | str) -> int:
    """Send every message held under `token`, one connection per organization (each may
    have its own server or provider). Returns how many were sent. The messages move to a
    fresh token first (see leases.take_over): a task delivered twice sends them once."""
    token = take_over(OutboundMessage, token, status=OutboundMessage.Status.SENDING)
    if token is None:
        return 0
    messages = list(
        OutboundMessage.objects.filter(claim_token=token, status=OutboundMessage.Status.SENDING)
        .select_related("organization")
        .order_by("organization_id", "pk")
    )
    sent = 0
    for _, batch in groupby(messages, key=lambda message: message.organization_id):
        batch = list(batch)
        organization = batch[0].organization
        batch = _hold_suppressed(batch, token)
        if not batch:
            continue
        # Campaign and transactional mail wait on buckets of their own (ratelimit).
        allowed = []
        for campaign in (False, True):
            tier = [message for message in batch if _is_marketing(message) == campaign]
            if not tier:
                continue
            granted = ratelimit.acquire(organization, len(tier), campaign=campaign)
            if granted < len(tier):
                wait = ratelimit.wait_for(organization, len(tier) - granted, campaign=campaign)
                _postpone(tier[granted:], token, wait)
            allowed += tier[:granted]
        if allowed:
            sent += _send_batch(allowed, token, mailsettings.connection_for(organization))
    return sent


def _hold_suppressed(messages: list[OutboundMessage], token) -> list[OutboundMessage]:
    """Mails to an address on the organization's suppression list are not sent: they end
    as *suppressed*, with the reason. Returns the mails that may go."""
    addresses = {normalize(message.recipient) for message in messages}
    reasons = dict(
        Suppression.objects.filter(organization_id=messages[0].organization_id, address__in=addresses).values_list(
            "address", "reason"
        )
    )
    allowed = []
    for message in messages:
        reason = reasons.get(normalize(message.recipient))
        # An unsubscribe stops marketing mail only: a contact who unsubscribed still gets
        # the password or confirmation they ask for. Bounces, complaints and entries made
        # by hand stop every mail.
        if reason is None or (reason == Suppression.Reason.UNSUBSCRIBE and not _is_marketing(message)):
            allowed.append(message)
            continue
        OutboundMessage.objects.filter(pk=message.pk, claim_token=token).update(
            status=OutboundMessage.Status.SUPPRESSED,
            error=f"Not sent: the address is on the suppression list ({Suppression.Reason(reason).label}).",
            secret_values="",
            lease_expires_at=None,
        )
    return allowed


def _is_marketing(message: OutboundMessage) -> bool:
    """Marketing mail carries an unsubscribe link in its headers (see notifications.prepared)."""
    return "List-Unsubscribe" in message.headers


def _postpone(messages: list[OutboundMessage], token, wait: timedelta) -> None:
    """Over the organization's rate limit: back to the outbox, not counted as an attempt."""
    OutboundMessage.objects.filter(pk__in=[m.pk for m in messages], claim_token=token).update(
        status=OutboundMessage.Status.QUEUED,
        next_attempt_at=timezone.now() + wait,
        attempts=models.F("attempts") - 1,
        lease_expires_at=None,
    )


def _send_batch(messages: list[OutboundMessage], token, connection) -> int:
    """Send the messages over `connection`, or over several connections to the same SMTP
    server in parallel (smtppool), and record each result. Only this thread touches the
    database: the connections' threads send and report back."""
    sent, accepted = 0, _Accepted(token, messages[0].organization)
    renewed, held = time.monotonic(), {message.pk for message in messages}
    try:
        lanes = _open_lanes(messages, connection)
    except Exception as exc:  # the server is unreachable: every message of the batch waits
        error = classify_send_error(exc)
        for message in messages:
            _record_failure(message, token, error)
        return 0
    try:
        for outcome in _outcomes(messages, lanes, held):
            # The task's timeout is shorter than a lease (engage.E002); a batch that still
            # takes long renews its lease, and skips what another sender took meanwhile.
            if renewal_due(renewed):
                renewed = time.monotonic()
                held.intersection_update(renew(OutboundMessage, token, status=OutboundMessage.Status.SENDING))
            if outcome.skipped:
                continue
            if outcome.error is not None:
                _record_failure(outcome.message, token, classify_send_error(outcome.error))
                continue
            accepted.add(outcome.message.pk, outcome.provider_id)
            sent += 1
    finally:
        accepted.flush()
        _close_lanes(lanes)
    if processes.stopping():
        release(
            OutboundMessage, token, status=OutboundMessage.Status.SENDING, back_to=OutboundMessage.Status.QUEUED,
            uncount=True,
        )  # fmt: skip
    return sent


def _open_lanes(messages: list[OutboundMessage], connection) -> list:
    """The open connections a batch is sent over: several to an SMTP server, kept open
    between batches (smtppool); one, opened now, for any other backend."""
    if not isinstance(connection, EngageSMTPBackend):
        connection.open()
        return [connection]
    organization = messages[0].organization
    count = smtppool.lanes_for(connection, len(messages))
    lanes = smtppool.take(connection, count, more=lambda: mailsettings.connection_for(organization))
    lanes[0].prepare({message.from_email for message in messages})
    for lane in lanes[1:]:
        lane.prepare(set(), like=lanes[0])
    return lanes


def _close_lanes(lanes: list) -> None:
    if isinstance(lanes[0], EngageSMTPBackend):
        smtppool.give_back(lanes)
        return
    for lane in lanes:
        lane.close()


@dataclass(frozen=True)
class _Outcome:
    message: OutboundMessage
    provider_id: str = ""
    error: Exception | None = None
    skipped: bool = False  # another sender took the message over meanwhile


def _outcomes(messages: list[OutboundMessage], lanes: list, held: set[int]) -> Iterator[_Outcome]:
    """Send each message over one of the lanes, yielding each outcome as it comes. Over one
    lane the messages go one by one from this thread; over several, each lane has a thread
    that takes the next message until none is left."""
    if len(lanes) == 1:
        for message in messages:
            yield _attempt(message, lanes[0], held)
        return
    work: queue.SimpleQueue[OutboundMessage] = queue.SimpleQueue()
    for message in messages:
        work.put(message)
    done: queue.SimpleQueue[_Outcome] = queue.SimpleQueue()
    threads = [threading.Thread(target=_lane, args=(lane, work, done, held), daemon=True) for lane in lanes]
    for thread in threads:
        thread.start()
    try:
        for _ in messages:
            yield done.get()
    finally:
        # Stopped early (an error while recording): what no lane has taken is not sent.
        with contextlib.suppress(queue.Empty):
            while True:
                work.get_nowait()
        for thread in threads:
            thread.join()


def _lane(connection, work: queue.SimpleQueue, done: queue.SimpleQueue, held: set[int]) -> None:
    try:
        while True:
            try:
                message = work.get_nowait()
            except queue.Empty:
                return
            done.put(_attempt(message, connection, held))
    finally:
        db.connections.close_all()  # this thread's own, should anything have opened one


def _attempt(message: OutboundMessage, connection, held: set[int]) -> _Outcome:
    # Not held any more, or the cluster stops: not sent now (a stop gives it back, below).
    if message.pk not in held or processes.stopping():
        return _Outcome(message, skipped=True)
    try:
        return _Outcome(message, provider_id=_send_one(message, connection))
    except Exception as exc:
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            connection.close()
            with contextlib.suppress(Exception):
                connection.open()  # or the next message opens it, or fails trying
        return _Outcome(message, error=exc)


class _Accepted:
    """Mails the server accepted, recorded as *sent* together: one transaction for up to
    SENT_FLUSH mails or SENT_FLUSH_SECONDS, not one per mail. A sender that dies before
    recording them sends them again once their lease runs out. SMTP has no exactly-once
    anyway, and the copy keeps the Message-ID (and a provider's idempotency key), by which
    mailbox providers and ESPs drop duplicates."""

    def __init__(self, token, organization: Organization) -> None:
        self.token, self.organization = token, organization
        self.pending: list[tuple[int, str]] = []
        self.since = 0.0

    def add(self, pk: int, provider_id: str) -> None:
        if not self.pending:
            self.since = time.monotonic()
        self.pending.append((pk, provider_id))
        if len(self.pending) >= SENT_FLUSH or time.monotonic() - self.since > SENT_FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        with transaction.atomic():
            self._record()
            _fire_message_sent(self.organization, [pk for pk, _ in self.pending])
        self.pending = []

    def _record(self) -> None:
        provider_ids = {pk: provider_id for pk, provider_id in self.pending if provider_id}
        OutboundMessage.objects.filter(pk__in=[pk for pk, _ in self.pending], claim_token=self.token).update(
            # A fast provider's webhook may have reported "delivered" already: keep it.
            status=models.Case(
                models.When(status=OutboundMessage.Status.SENDING, then=models.Value(OutboundMessage.Status.SENT)),
                default=models.F("status"),
            ),
            sent_at=timezone.now(),
            provider_message_id=_ByPk(provider_ids, default=models.F("provider_message_id")),
            secret_values="",
            error="",
            lease_expires_at=None,
        )


class _ByPk(models.Expression):
    """`CASE pk WHEN 1 THEN 'a' WHEN 2 THEN 'b' … ELSE default END`: a value for each row
    of an UPDATE. Case(When(pk=…)) does the same, but builds a filter per row, which costs
    more than the UPDATE itself."""

    output_field = models.CharField()

    def __init__(self, values: dict[int, str], *, default: models.Expression) -> None:
        super().__init__()
        self.values, self.pk, self.default = values, models.F("pk"), default

    def get_source_expressions(self) -> list:
        return [self.pk, self.default]

    def set_source_expressions(self, expressions: list) -> None:
        self.pk, self.default = expressions

    def as_sql(self, compiler, connection) -> tuple[str, list]:
        default, params = compiler.compile(self.default)
        if not self.values:
            return default, params
        pk, pk_params = compiler.compile(self.pk)
        whens = " ".join("WHEN %s THEN %s" for _ in self.values)
        pairs = [value for pair in self.values.items() for value in pair]
        return f"CASE {pk} {whens} ELSE {default} END", [*pk_params, *pairs, *params]


def _fire_message_sent(organization: Organization, ids: list[int]) -> None:
    """*Message sent* for each accepted mail to a contact, where an automation listens to
    it. The mail's id is the event's external id, so a mail sent again after a crash (see
    _Accepted) fires it once."""
    if not listened(organization_id=organization.pk, type=EventType.MESSAGE_SENT):
        return
    messages = OutboundMessage.objects.filter(pk__in=ids, contact__isnull=False).select_related("contact")
    events = [
        NewEvent(
            type=EventType.MESSAGE_SENT,
            contact=message.contact,
            payload={"message": {"id": message.pk, "subject": message.subject, "message_id": message.message_id}},
            source="outbox",
            external_id=str(message.pk),
        )
        for message in messages
    ]
    if events:
        record_events(organization=organization, events=events)


def send_test_mail(*, organization: Organization | None, to: str) -> tuple[bool, str]:
    """Send a test mail with the settings that apply, and say plainly what happened."""
    chosen = mailsettings.effective(organization)
    subject = f"Engage test mail ({chosen.source} settings)"
    text = f"This test mail was sent with the {chosen.source} mail settings" + (
        f" of {organization.name}." if organization else "."
    )
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=chosen.from_email,
        to=[to],
        headers={"Message-ID": make_msgid(domain=_domain_of(chosen.from_email))},
        connection=mailsettings.connection_for(organization),
    )
    try:
        email.send()
    except Exception as exc:
        return False, mailsettings.describe_failure(exc)
    provider_id = _provider_message_id(email)
    return (
        True,
        f"Accepted by the server ({chosen.source} settings), Message-ID {email.extra_headers['Message-ID']}"
        + (f", provider id {provider_id}" if provider_id else ""),
    )


def _send_one(message: OutboundMessage, connection) -> str:
    text, html = message.text_body, message.html_body
    if message.secret_values:
        bodies = json.loads(crypto.decrypt(message.secret_values))
        text, html = bodies["text"], bodies["html"]
    smtp = isinstance(connection, SMTPBackend)
    if html and smtp and not message.secret_values:
        html = linktracking.add_tracking(html, message_id=message.pk, keep=_unsubscribe_urls(message))
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=text,
        from_email=message.from_email,
        to=[message.recipient],
        headers={**message.headers, "Message-ID": message.message_id},
        connection=connection,
    )
    if html:
        email.attach_alternative(html, "text/html")
    # anymail passes metadata to the provider, which returns it with every tracking event.
    email.metadata = {METADATA_KEY: message.message_id}
    esp.attach_idempotency_key(email, message)
    email.send()
    return _provider_message_id(email)


def _unsubscribe_urls(message: OutboundMessage) -> frozenset[str]:
    return frozenset(MESSAGE_ID.findall(message.headers.get("List-Unsubscribe", "")))


def _record_failure(message: OutboundMessage, token, error: PermanentError | TransientError) -> None:
    """A transient failure is tried again like a mail server does: 1, 2, 4 … minutes later,
    at most ENGAGE_MAIL_RETRY_MAX_MINUTES apart, until the retry period is over (the last
    attempt falls on its end); then, or at once for a permanent failure, the mail fails."""
    now = timezone.now()
    gives_up_at = message.gives_up_at
    if isinstance(error, TransientError) and now < gives_up_at:
        wait = backoff(message.attempts, cap=timedelta(minutes=settings.ENGAGE_MAIL_RETRY_MAX_MINUTES))
        changes = {"status": OutboundMessage.Status.QUEUED, "next_attempt_at": min(now + wait, gives_up_at)}
        reason = str(error)
    else:
        changes = {"status": OutboundMessage.Status.FAILED, "secret_values": ""}
        reason = str(error)
        if isinstance(error, TransientError):
            reason = (
                f"Gave up: still not accepted {settings.ENGAGE_MAIL_RETRY_HOURS} hours after it was queued "
                f"({message.attempts} attempts). Last error: {error}"
            )
    OutboundMessage.objects.filter(pk=message.pk, claim_token=token).update(
        error=reason, lease_expires_at=None, **changes
    )


def classify_send_error(exc: Exception) -> PermanentError | TransientError:
    """Tell a failure worth retrying (4xx, timeouts, ESP 5xx/429) from a final one."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        kind = TransientError if codes and all(400 <= c < 500 for c in codes) else PermanentError
        return kind(note(REFUSED, reply=_smtp_reply(exc.recipients)))
    if isinstance(exc, smtplib.SMTPResponseException):
        kind = TransientError if 400 <= exc.smtp_code < 500 else PermanentError
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            kind = PermanentError
        return kind(f"SMTP {exc.smtp_code}: {_decode(exc.smtp_error)}")
    if isinstance(exc, AnymailRecipientsRefused):
        return PermanentError(note(REFUSED_BY_ESP, error=exc))
    if isinstance(exc, AnymailAPIError):
        status = getattr(exc, "status_code", None)
        # 409: the provider is still working on an earlier attempt with the same
        # idempotency key; asking again later gets its answer.
        if status is None or status in (409, 429) or status >= 500:
            return TransientError(note(ESP_ERROR, status=status or "", error=exc))
        return PermanentError(note(ESP_ERROR, status=status, error=exc))
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        # Say so: an untrusted or expired certificate is fixed by an administrator, not by waiting.
        return TransientError(note(TLS_ERROR, error=exc))
    if isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout, ConnectionError)):
        return TransientError(note(UNREACHABLE, error=exc))
    if isinstance(exc, OSError):
        return TransientError(note(UNREACHABLE, error=exc))
    return PermanentError(f"{exc.__class__.__name__}: {exc}")


def _smtp_reply(recipients: dict) -> str:
    return "; ".join(f"{address}: {code} {_decode(text)}" for address, (code, text) in recipients.items())


def _decode(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _domain_of(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip(" >") or "engage.localhost"


def _provider_message_id(email: EmailMultiAlternatives) -> str:
    status = getattr(email, "anymail_status", None)
    if status is None or status.message_id is None:
        return ""
    return str(status.message_id)
