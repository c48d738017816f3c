"""Which mail settings apply to an organization, and a connection that uses them.

Order: the organization's own settings (unless it chose "use host settings"), then the
host-level settings, then the process's EMAIL_* environment (the embedded set-up).
Secrets are stored encrypted (engage.crypto) and only decrypted to open a connection.
"""

from __future__ import annotations

import json
import smtplib
import socket
import ssl
from dataclasses import dataclass, field, replace
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction

from contacts.models import Organization
from engage import crypto
from engage.lib import memo
from notifications.models import MailSettings

SMTP_BACKEND = "notifications.backends.EmailBackend"
DJANGO_SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
ENVIRONMENT_BACKENDS = {
    DJANGO_SMTP_BACKEND: SMTP_BACKEND,
    "anymail.backends.resend.EmailBackend": "notifications.esp.ResendBackend",
}
ESP_BACKENDS = {
    "brevo": ("anymail.backends.brevo.EmailBackend", ["api_key"]),
    "mailgun": ("anymail.backends.mailgun.EmailBackend", ["api_key", "sender_domain"]),
    "mailjet": ("anymail.backends.mailjet.EmailBackend", ["api_key", "secret_key"]),
    "postmark": ("anymail.backends.postmark.EmailBackend", ["server_token"]),
    "resend": ("notifications.esp.ResendBackend", ["api_key"]),  # with idempotency keys
    "sendgrid": ("anymail.backends.sendgrid.EmailBackend", ["api_key"]),
    "sparkpost": ("anymail.backends.sparkpost.EmailBackend", ["api_key"]),
}


@dataclass(frozen=True)
class Effective:
    source: str  # "organization", "host" or "environment"
    backend: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    from_email: str = ""


def settings_row(organization: Organization | None) -> MailSettings | None:
    return MailSettings.objects.filter(organization=organization).first()


def effective(organization: Organization | None) -> Effective:
    return memo.remembered(
        ("mail settings", organization.pk if organization else None), lambda: _effective(organization)
    )


def _effective(organization: Organization | None) -> Effective:
    own = settings_row(organization) if organization is not None else None
    if own is not None and not own.use_host_settings:
        chosen = _from_row(own, "organization")
        return chosen if own.from_name else _named(chosen, organization)
    host = settings_row(None)
    if host is not None:
        return _named(_from_row(host, "host"), organization)
    return _named(Effective(source="environment", from_email=settings.DEFAULT_FROM_EMAIL), organization)


def _named(chosen: Effective, organization: Organization | None) -> Effective:
    """An organization's mail carries its name as sender name unless its own settings name
    one: the contact knows the organization, not the host that sends for it."""
    if organization is None or not chosen.from_email:
        return chosen
    _, address = parseaddr(chosen.from_email)
    return replace(chosen, from_email=formataddr((organization.name, address)))


def _from_row(row: MailSettings, source: str) -> Effective:
    from_email = formataddr((row.from_name, row.from_email)) if row.from_email else settings.DEFAULT_FROM_EMAIL
    if row.transport == MailSettings.Transport.ESP:
        backend, _ = ESP_BACKENDS[row.esp]
        credentials = json.loads(crypto.decrypt(row.esp_credentials)) if row.esp_credentials else {}
        return Effective(source, backend, credentials, from_email)
    username = row.smtp_username
    if username and row.smtp_domain and "@" not in username:
        username = f"{username}@{row.smtp_domain}"
    options = {
        "host": row.smtp_host,
        "port": row.smtp_port,
        "username": username,
        "password": crypto.decrypt(row.smtp_password) if row.smtp_password else "",
        "use_tls": row.security == MailSettings.Security.STARTTLS,
        "use_ssl": row.security == MailSettings.Security.TLS,
        "timeout": row.timeout,
    }
    return Effective(source, SMTP_BACKEND, options, from_email)


def connection_for(organization: Organization | None):
    """A connection with the settings that apply. Every SMTP connection is Engage's own
    backend (notifications.backends), which DKIM-signs the organization's mail."""
    chosen = effective(organization)
    backend = chosen.backend
    if backend is None:
        # The environment's server or ESP, with the same signing or idempotency keys.
        backend = ENVIRONMENT_BACKENDS.get(settings.EMAIL_BACKEND)
    if backend is None:
        return get_connection()
    if backend == SMTP_BACKEND:
        return get_connection(backend, organization_id=organization.pk if organization else None, **chosen.options)
    return get_connection(backend, **chosen.options)


def default_from(organization: Organization | None) -> str:
    return effective(organization).from_email


def sender(organization: Organization, from_email: str, from_name: str = "") -> str:
    """A from address a message or sendout names, with the display name it names or else the
    organization's: the name its own mail settings give, or its name (as default_from)."""
    if not from_name:
        from_name = memo.remembered(("sender name", organization.pk), lambda: _sender_name(organization))
    return formataddr((from_name, from_email))


def _sender_name(organization: Organization) -> str:
    own = settings_row(organization)
    return own.from_name if own is not None and not own.use_host_settings and own.from_name else organization.name


def store_secrets(row: MailSettings, *, password: str | None = None, esp_credentials: dict | None = None) -> None:
    """Encrypt and keep new secrets; None keeps what is stored, "" / {} clears it."""
    if password is not None:
        row.smtp_password = crypto.encrypt(password) if password else ""
    if esp_credentials is not None:
        kept = {k: v for k, v in esp_credentials.items() if v}
        row.esp_credentials = crypto.encrypt(json.dumps(kept)) if kept else ""


@transaction.atomic
def save_settings(
    *, row: MailSettings, password: str | None = None, esp_credentials: dict | None = None
) -> MailSettings:
    """Store settings that a form has built or changed (the admin), with the secrets typed
    in encrypted: None keeps what is stored, "" / {} clears it."""
    store_secrets(row, password=password, esp_credentials=esp_credentials)
    row.save()
    return row


def describe_failure(exc: Exception) -> str:
    """A test mail's failure in the words an administrator needs."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"Authentication failed: the server answered {exc.smtp_code} {exc.smtp_error.decode(errors='replace')}"
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return f"TLS error: {exc}"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"The server does not support this: {exc}"
    if isinstance(exc, ConnectionRefusedError):
        return "Connection refused: nothing accepts connections at that host and port."
    if isinstance(exc, socket.timeout | TimeoutError):
        return "Timed out: the server did not answer in time."
    if isinstance(exc, socket.gaierror):
        return f"Unknown host: {exc}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"Refused: {exc.smtp_code} {exc.smtp_error.decode(errors='replace')}"
    return f"{exc.__class__.__name__}: {exc}"
