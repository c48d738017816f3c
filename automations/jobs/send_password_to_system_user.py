from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from automations.jobs.base import BaseJob, JobContext
from contacts.services import generate_password
from engage.errors import PermanentError
from engage.events import S
from engage.notes import note, sentence
from notifications.services import enqueue_mail, render_mail

NO_ADDRESS = sentence(gettext_noop("System user %(user)s has no e-mail address."))


class Job(BaseJob):
    label = _("Send new password to system user")
    sends_password = True
    scopes = S
    description = _(
        "Generates a new random admin password for a system user, stores only its hash and mails it to the user."
    )

    def execute(self, context: JobContext) -> dict:
        user = context.require_user()
        if not user.email:
            raise PermanentError(note(NO_ADDRESS, user=user.username))
        password = generate_password()
        mail = render_mail(
            "new_password_system_user",
            {"user": user, "organization": context.organization, "password": password},
            secrets=(password,),
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        message = enqueue_mail(organization=context.organization, to=user.email, mail=mail, run=context.run)
        return {"message_id": message.pk, "recipient": user.email}
