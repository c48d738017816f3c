from django.utils.translation import gettext_lazy as _

from automations.jobs.base import BaseJob, JobContext
from contacts.models import Membership
from engage.events import K


class Job(BaseJob):
    label = _("Remove member from all groups")
    scopes = K
    description = _("Deletes every membership of the contact (blacklist entries stay).")

    def execute(self, context: JobContext) -> dict:
        contact = context.require_contact()
        removed, _ = Membership.objects.filter(contact=contact).exclude(state=Membership.State.BLACKLISTED).delete()
        return {"removed": removed}
