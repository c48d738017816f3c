"""Sending mail. Everything leaves through Django's mail API, so any SMTP server or anymail
ESP configured as the mail backend works, and every mail leaves a row in the outbox."""

from __future__ import annotations

import smtplib
import socket
from dataclasses import dataclass, field
from email.utils import make_msgid

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import timezone, translation

from contacts.models import Contact, Organization
from engage.errors import PermanentError, TransientError
from notifications.models import OutboundMessage

REDACTED = "••••••••"


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str = ""
    # Values that must reach the recipient but never the outbox (a new password).
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


def send_mail(
    *,
    organization: Organization,
    to: str,
    mail: RenderedMail,
    contact: Contact | None = None,
    run=None,
    from_email: str | None = None,
) -> OutboundMessage:
    """Send one mail now and record it in the outbox.

    The outbox row is committed before the mail leaves, so a crash in between leaves a
    visible `sending` row rather than no trace. Raises TransientError or PermanentError.
    """
    from_email = from_email or settings.DEFAULT_FROM_EMAIL
    message = OutboundMessage.objects.create(
        organization=organization,
        contact=contact,
        run=run,
        from_email=from_email,
        recipient=to,
        subject=mail.subject,
        text_body=mail.redacted(mail.text),
        html_body=mail.redacted(mail.html),
        status=OutboundMessage.Status.SENDING,
        message_id=make_msgid(domain=_domain_of(from_email)),
        attempts=1,
    )
    email = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.text,
        from_email=from_email,
        to=[to],
        headers={"Message-ID": message.message_id},
        connection=get_connection(),
    )
    if mail.html:
        email.attach_alternative(mail.html, "text/html")
    try:
        email.send()
    except Exception as exc:
        error = classify_send_error(exc)
        OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundMessage.Status.FAILED, error=str(error))
        raise error from exc
    message.status = OutboundMessage.Status.SENT
    message.sent_at = timezone.now()
    message.provider_message_id = _provider_message_id(email)
    message.save(update_fields=["status", "sent_at", "provider_message_id"])
    return message


def classify_send_error(exc: Exception) -> PermanentError | TransientError:
    """Tell a failure worth retrying (4xx, timeouts, ESP 5xx/429) from a final one."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        kind = TransientError if codes and all(400 <= c < 500 for c in codes) else PermanentError
        return kind(f"Recipient refused: {_smtp_reply(exc.recipients)}")
    if isinstance(exc, smtplib.SMTPResponseException):
        kind = TransientError if 400 <= exc.smtp_code < 500 else PermanentError
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            kind = PermanentError
        return kind(f"SMTP {exc.smtp_code}: {_decode(exc.smtp_error)}")
    if isinstance(exc, AnymailRecipientsRefused):
        return PermanentError(f"Recipient refused by the ESP: {exc}")
    if isinstance(exc, AnymailAPIError):
        status = getattr(exc, "status_code", None)
        if status is None or status == 429 or status >= 500:
            return TransientError(f"ESP error {status or ''}: {exc}".strip())
        return PermanentError(f"ESP error {status}: {exc}")
    if isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout, ConnectionError)):
        return TransientError(f"Mail server unreachable: {exc}")
    if isinstance(exc, OSError):
        return TransientError(f"Mail server unreachable: {exc}")
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
