from django.utils.translation import gettext_lazy as _

from automations.jobs import _prepared
from automations.jobs.base import BaseJob, JobContext
from engage.events import SK


class Job(BaseJob):
    label = _("Send prepared message to address")
    scopes = SK
    description = _(
        "Sends a prepared message to a fixed address or one taken from the event (for example a sales team's "
        "inbox). The contact of the event, if any, fills the dynamic text."
    )
    params_form = _prepared.AddressParameters

    def execute(self, context: JobContext) -> dict:
        return _prepared.send(context, to=_prepared.address(context), contact=context.contact)
