from django.utils.translation import gettext_lazy as _

from automations.jobs.base import BaseJob, JobContext
from engage.events import K


class Job(BaseJob):
    label = _("Delete contact")
    scopes = K
    description = _(
        "Deletes the contact with its memberships, tags and transactions. Events, runs and messages stay, "
        "without the contact."
    )

    def execute(self, context: JobContext) -> dict:
        contact = context.require_contact()
        email = contact.email
        contact.delete()
        return {"deleted": email}
