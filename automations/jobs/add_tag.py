from django.utils.translation import gettext_lazy as _

from automations.jobs._params import TagParameters
from automations.jobs.base import BaseJob, JobContext
from contacts import services
from engage.events import K


class Job(BaseJob):
    label = _("Add tag")
    scopes = K
    description = _("Tags the contact (the tag is created if the organization does not have it yet).")
    params_form = TagParameters

    def execute(self, context: JobContext) -> dict:
        tag = services.add_tag(contact=context.require_contact(), name=context.params["tag"])
        return {"tag": tag.name}
