"""Mail to system users (password resets, failed-run alerts, test mails) leaves through the
mail settings of the user's organization where it has its own, else the host's, like every
other mail of that organization. Host administrators belong to no organization: their
mail uses the host settings.

Organization users' mail goes through the outbox (recorded, retried, secrets encrypted
until sent); host users' mail has no organization to be recorded under and is sent at once.
"""

from __future__ import annotations

import logging

from django.core.mail import EmailMultiAlternatives

from contacts.models import User
from notifications import mailsettings
from notifications.services import RenderedMail, send_mail

logger = logging.getLogger(__name__)


def send_system_mail(*, user: User, mail: RenderedMail) -> bool:
    """Send a mail to a system user; False (and a log line, never its content) if it
    was not accepted now. An organization user's mail that failed transiently is retried
    from the outbox."""
    try:
        if user.organization_id is not None:
            send_mail(organization=user.organization, to=user.email, mail=mail)
        else:
            EmailMultiAlternatives(
                subject=mail.subject, body=mail.text, from_email=mailsettings.default_from(None), to=[user.email],
                connection=mailsettings.connection_for(None),
            ).send()  # fmt: skip
    except Exception:
        logger.exception("System mail to user %s was not accepted", user.pk)
        return False
    return True
