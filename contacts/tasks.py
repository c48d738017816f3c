"""django-q2 task entry points of the contacts app."""

from contacts import imports, logins, mails


def send_subscription_confirmation(membership_id: int) -> None:
    mails.send_subscription_confirmation(membership_id)


def run_contact_import(import_id: int) -> None:
    imports.run_import(import_id)


def purge_login_failures() -> int:
    """Forget failed logins older than every window that counts them."""
    return logins.purge_old_failures()
