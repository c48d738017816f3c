from django.utils.translation import gettext_lazy as _

from automations.jobs._params import GroupReasonParameters
from automations.jobs.base import BaseJob, JobContext
from contacts import services
from contacts.models import Group
from engage.events import K


class Job(BaseJob):
    label = _("Add to group blacklist")
    scopes = K
    description = _("Blocks the contact for the group: no mail from it, and no way back in by subscribing or import.")
    params_form = GroupReasonParameters

    def execute(self, context: JobContext) -> dict:
        group = context.related(Group, "group")
        services.blacklist(contact=context.require_contact(), group=group, reason=context.params.get("reason", ""))
        return {"group": group.name, "state": "blacklisted"}
