"""django-q2 task entry points of the contacts app."""

from contacts import mails


def send_subscription_confirmation(membership_id: int) -> None:
    mails.send_subscription_confirmation(membership_id)
