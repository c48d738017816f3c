"""django-q2 task entry points of the notifications app."""

from engage import recovery
from notifications import sendouts, services
from notifications.models import OutboundMessage


def send_messages(token: str) -> int:
    # Given back, not failed, when the database goes away or the cluster stops.
    return recovery.run_claimed(OutboundMessage, token, services.send_claimed)


def advance_sendout(token: str) -> None:
    sendouts.advance(token)
