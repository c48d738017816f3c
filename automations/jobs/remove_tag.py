from django.utils.translation import gettext_lazy as _

from automations.jobs._params import TagParameters
from automations.jobs.base import BaseJob, JobContext
from contacts import services
from engage.events import K


class Job(BaseJob):
    label = _("Remove tag")
    scopes = K
    description = _("Removes the tag from the contact, if it has it.")
    params_form = TagParameters

    def execute(self, context: JobContext) -> dict:
        removed = services.remove_tag(contact=context.require_contact(), name=context.params["tag"])
        return {"tag": context.params["tag"], "removed": removed}
