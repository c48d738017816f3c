from django.utils.translation import gettext_lazy as _

from automations.jobs import _prepared
from automations.jobs.base import BaseJob, JobContext
from engage.events import K


class Job(BaseJob):
    label = _("Send prepared message to contact")
    scopes = K
    description = _(
        "Sends a prepared message to the contact, in the contact's language, with dynamic text filled in. "
        "Marketing mail carries an unsubscribe link and one-click unsubscribe headers."
    )
    params_form = _prepared.MessageParameters

    def execute(self, context: JobContext) -> dict:
        contact = context.require_contact()
        return _prepared.send(context, to=contact.email, contact=contact)
