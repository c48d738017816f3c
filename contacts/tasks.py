"""django-q2 task entry points of the contacts app."""

from contacts import imports, logins


def run_contact_import(import_id: int) -> None:
    imports.run_import(import_id)


def purge_login_failures() -> int:
    """Forget failed logins older than every window that counts them."""
    return logins.purge_old_failures()
