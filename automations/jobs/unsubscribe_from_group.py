from django.utils.translation import gettext_lazy as _

from automations.jobs._params import GroupReasonParameters
from automations.jobs.base import BaseJob, JobContext
from contacts import services
from contacts.models import Group
from engage.events import K


class Job(BaseJob):
    label = _("Unsubscribe member from one group")
    scopes = K
    description = _("Unsubscribes the contact from the group, with the reason; fires “Unsubscribed from group”.")
    params_form = GroupReasonParameters

    def execute(self, context: JobContext) -> dict:
        group = context.related(Group, "group")
        membership = services.unsubscribe(
            contact=context.require_contact(), group=group, source="automation", reason=context.params.get("reason", "")
        )
        return {"group": group.name, "state": membership.state}
