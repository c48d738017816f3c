"""The SMTP backend every SMTP connection of Engage uses (see mailsettings.connection_for).

Django's SMTP backend with two additions:

- TLS certificates are checked against ENGAGE_SMTP_CA_FILE when it is set, instead of
  the system's trust store (a private mail relay with its own CA);
- a mail whose from address is a verified sender domain of the organization is
  DKIM-signed with that domain's key, right before it is handed to the server.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.header import Header
from email.message import Message

import dkim
from django.conf import settings
from django.core.mail.backends import smtp
from django.core.mail.message import sanitize_address
from django.utils.functional import cached_property

from engage.crypto import DecryptionError
from notifications.domains import domain_of
from notifications.models import SenderDomain

logger = logging.getLogger(__name__)

# dkimpy signs the headers RFC 6376 recommends; one-click unsubscribe (RFC 8058) also
# needs List-Unsubscribe-Post signed.
EXTRA_SIGNED_HEADERS = (b"list-unsubscribe-post",)


def rendered(email_message):
    """The MIME message, its subject encoded as Header() does knowing the header's name:
    Django folds a long non-ASCII subject right after "Subject:", which readers decode
    with a leading space."""
    message = email_message.message()
    subject = str(email_message.subject)
    if not subject.isascii():
        del message["Subject"]
        header = Header(subject, email_message.encoding or settings.DEFAULT_CHARSET, header_name="Subject")
        Message.__setitem__(message, "Subject", header)  # Django's own __setitem__ would fold it again
    return message


class EmailBackend(smtp.EmailBackend):
    def __init__(self, *args, organization_id: int | None = None, ca_file: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization_id = organization_id
        self.ca_file = settings.ENGAGE_SMTP_CA_FILE if ca_file is None else ca_file
        self._keys: dict[str, tuple[bytes, bytes] | None] = {}  # domain → (selector, key), per connection

    @cached_property
    def ssl_context(self) -> ssl.SSLContext:
        # Certificate and host name are always verified; only where the trust comes from changes.
        context = ssl.create_default_context(cafile=self.ca_file or None)
        if self.ssl_certfile or self.ssl_keyfile:
            context.load_cert_chain(self.ssl_certfile, self.ssl_keyfile)
        return context

    def _send(self, email_message) -> bool:
        # Django's _send, with the message signed between rendering and sending.
        if not email_message.recipients():
            return False
        encoding = email_message.encoding or settings.DEFAULT_CHARSET
        from_email = sanitize_address(email_message.from_email, encoding)
        recipients = [sanitize_address(addr, encoding) for addr in email_message.recipients()]
        message = self.sign(rendered(email_message).as_bytes(linesep="\r\n"), email_message.from_email)
        try:
            self.connection.sendmail(from_email, recipients, message)
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True

    def sign(self, message: bytes, from_email: str) -> bytes:
        """The message with a DKIM-Signature header in front, or unchanged if its from
        domain is not a verified sender domain of the organization."""
        domain = domain_of(from_email)
        key = self._key_for(domain)
        if key is None:
            return message
        selector, private_key = key
        signer = dkim.DKIM(message)
        signer.should_sign.update(EXTRA_SIGNED_HEADERS)
        signature = signer.sign(
            selector, domain.encode(), private_key,
            include_headers=signer.default_sign_headers(), canonicalize=(b"relaxed", b"relaxed"),
        )  # fmt: skip
        return signature + message

    def prepare(self, from_emails: set[str], *, like: EmailBackend | None = None) -> None:
        """Look up the DKIM keys of these senders now, or take those `like` looked up: a
        connection that sends in a thread of its own then never touches the database."""
        if like is not None:
            self._keys = like._keys
            return
        for from_email in from_emails:
            self._key_for(domain_of(from_email))

    def _key_for(self, domain: str) -> tuple[bytes, bytes] | None:
        if self.organization_id is None or not domain:
            return None
        if domain not in self._keys:
            row = SenderDomain.objects.filter(
                organization_id=self.organization_id, domain=domain, verified_at__isnull=False
            ).first()
            try:
                self._keys[domain] = (row.dkim_selector.encode(), row.private_key_pem()) if row else None
            except DecryptionError:
                # Mail still goes out, unsigned, as it did before the domain was added.
                logger.error("DKIM key of sender domain %s cannot be decrypted; sending unsigned", row.pk)
                self._keys[domain] = None
        return self._keys[domain]
