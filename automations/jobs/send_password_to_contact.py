from django.db import transaction
from django.utils.translation import gettext_lazy as _

from automations.events import K
from automations.jobs.base import BaseJob, JobContext
from contacts.services import generate_password
from notifications.services import render_mail, send_mail


class Job(BaseJob):
    label = _("Send new password to contact")
    scopes = K
    description = _(
        "Generates a new random preference-center password, stores only its hash and mails it to the contact. "
        "The previous password stops working once the mail has been accepted."
    )

    def execute(self, context: JobContext) -> dict:
        contact = context.require_contact()
        password = generate_password()
        mail = render_mail(
            "new_password_contact",
            {"contact": contact, "organization": context.organization, "password": password},
            language=contact.language,
            secrets=(password,),
        )
        # Mail first, then store the hash: if the mail cannot be sent, the old password
        # still works; a retry sends a fresh one.
        message = send_mail(
            organization=context.organization, to=contact.email, mail=mail, contact=contact, run=context.run
        )
        with transaction.atomic():
            contact.set_password(password)
            contact.save(update_fields=["password", "updated_at"])
        return {"message_id": message.pk, "recipient": contact.email}
