"""django-q2 task entry points of the notifications app."""

from notifications import sendouts, services


def send_messages(token: str) -> int:
    return services.send_claimed(token)


def advance_sendout(token: str) -> None:
    sendouts.advance(token)
