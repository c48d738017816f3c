from django.utils.translation import gettext_lazy as _

from automations.jobs._params import GroupParameters
from automations.jobs.base import BaseJob, JobContext
from contacts import services
from contacts.models import Group
from engage.events import K


class Job(BaseJob):
    label = _("Remove member from group")
    scopes = K
    description = _("Deletes the contact's membership of the group (a blacklist entry stays).")
    params_form = GroupParameters

    def execute(self, context: JobContext) -> dict:
        group = context.related(Group, "group")
        removed = services.remove_member(contact=context.require_contact(), group=group, source="automation")
        return {"group": group.name, "removed": removed}
