from django.core.management.base import BaseCommand

from engage import crypto


class Command(BaseCommand):
    help = "Re-encrypt every stored secret with the first key of ENGAGE_ENCRYPTION_KEYS (after adding a new key)."

    def handle(self, *args, **options) -> None:
        count = crypto.rotate_stored_secrets()
        self.stdout.write(f"Re-encrypted {count} secrets with the newest key.")
