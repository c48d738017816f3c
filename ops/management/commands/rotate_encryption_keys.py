from django.core.management.base import BaseCommand
from django.db import transaction

from automations.jobs._http import ENCRYPTED
from automations.models import Automation
from engage import crypto
from notifications.models import MailSettings, OutboundMessage, SenderDomain


class Command(BaseCommand):
    help = "Re-encrypt every stored secret with the first key of ENGAGE_ENCRYPTION_KEYS (after adding a new key)."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        count = 0
        for row in MailSettings.objects.select_for_update():
            for name in ("smtp_password", "esp_credentials"):
                if getattr(row, name):
                    setattr(row, name, crypto.rotate(getattr(row, name)))
                    count += 1
            row.save(update_fields=["smtp_password", "esp_credentials"])
        for message in OutboundMessage.objects.select_for_update().exclude(secret_values=""):
            message.secret_values = crypto.rotate(message.secret_values)
            message.save(update_fields=["secret_values"])
            count += 1
        for automation in Automation.objects.select_for_update().filter(job_params__has_key="signing_secret"):
            secret = automation.job_params["signing_secret"]
            if secret.startswith(ENCRYPTED):
                automation.job_params["signing_secret"] = ENCRYPTED + crypto.rotate(secret[len(ENCRYPTED) :])
                automation.save(update_fields=["job_params"])
                count += 1
        for domain in SenderDomain.objects.select_for_update().exclude(dkim_private_key=""):
            domain.dkim_private_key = crypto.rotate(domain.dkim_private_key)
            domain.save(update_fields=["dkim_private_key"])
            count += 1
        self.stdout.write(f"Re-encrypted {count} secrets with the newest key.")
