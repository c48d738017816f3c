from django.utils.translation import gettext_lazy as _

from automations.jobs.base import BaseJob, JobContext
from contacts import services
from engage.events import K


class Job(BaseJob):
    label = _("Remove member from all groups")
    scopes = K
    description = _("Deletes every membership of the contact (blacklist entries stay).")

    def execute(self, context: JobContext) -> dict:
        contact = context.require_contact()
        removed = services.remove_from_all_groups(contact=contact, source="automation")
        return {"removed": removed}
