from django.utils.translation import gettext_lazy as _

from automations.jobs.base import BaseJob, JobContext
from contacts.services import generate_password, set_contact_password
from engage.events import K
from notifications.contact_mails import portal_login_url
from notifications.services import enqueue_mail, render_mail


class Job(BaseJob):
    label = _("Send new password to contact")
    sends_password = True
    scopes = K
    description = _(
        "Generates a new random preference-center password, stores only its hash and mails it to the contact. "
        "The previous password stops working at once."
    )

    def execute(self, context: JobContext) -> dict:
        contact = context.require_contact()
        password = generate_password()
        mail = render_mail(
            "new_password_contact",
            {
                "contact": contact,
                "organization": context.organization,
                "password": password,
                "portal_url": portal_login_url(context.organization),
            },
            language=contact.language,
            secrets=(password,),
        )
        # The hash and the mail (the password in it encrypted until it is sent) are stored
        # together with the run's result: all of it, or none of it. A lockout of the
        # address ends with the old password.
        set_contact_password(contact=contact, password=password)
        message = enqueue_mail(
            organization=context.organization, to=contact.email, mail=mail, contact=contact, run=context.run
        )
        return {"message_id": message.pk, "recipient": contact.email}
