from django.utils.translation import gettext_lazy as _

from automations.jobs._params import ReasonParameters
from automations.jobs.base import BaseJob, JobContext
from contacts import services
from engage.events import K


class Job(BaseJob):
    label = _("Unsubscribe member from all groups")
    scopes = K
    description = _("Unsubscribes the contact from every group it receives, with the reason.")
    params_form = ReasonParameters

    def execute(self, context: JobContext) -> dict:
        count = services.unsubscribe_all(
            contact=context.require_contact(), source="automation", reason=context.params.get("reason", "")
        )
        return {"unsubscribed_from": count}
