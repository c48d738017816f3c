from django.utils.translation import gettext_lazy as _

from automations.jobs._params import GroupParameters
from automations.jobs.base import BaseJob, JobContext
from contacts import services
from contacts.models import Group
from engage.events import K


class Job(BaseJob):
    label = _("Add contact to group")
    scopes = K
    description = _(
        "Makes the contact a member of the group. A contact blacklisted for the group is not added (the run fails)."
    )
    params_form = GroupParameters

    def execute(self, context: JobContext) -> dict:
        group = context.related(Group, "group")
        membership = services.add_member(contact=context.require_contact(), group=group, source="automation")
        return {"group": group.name, "state": membership.state}
