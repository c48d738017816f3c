from django import forms
from django.utils.translation import gettext_lazy as _

from automations.jobs.base import BaseJob, JobContext, JobParameters
from engage.events import K
from notifications import sendouts


class RecentParameters(JobParameters):
    count = forms.IntegerField(label=_("how many"), min_value=1, max_value=10, initial=1)


class Job(BaseJob):
    label = _("Send most recent message(s) to contact")
    scopes = K
    description = _(
        "Sends the contact the latest group sendouts they were sent again (for instance the last newsletter to "
        "somebody who just subscribed), rendered afresh with their current data."
    )
    params_form = RecentParameters

    def execute(self, context: JobContext) -> dict:
        count = int(context.params.get("count") or 1)
        queued = sendouts.resend_recent(contact=context.require_contact(), count=count, run=context.run)
        return {"sent_again": [message.subject for message in queued]}
