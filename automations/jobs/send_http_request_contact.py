from django.utils.translation import gettext_lazy as _

from automations.jobs import _http
from automations.jobs.base import BaseJob, JobContext
from engage.events import K


class Job(BaseJob):
    label = _("Send HTTP request (contact)")
    scopes = K
    transactional = False
    description = _(
        "Calls another system with data of the contact and the event (GET or POST; JSON, form or XML), "
        "optionally signed. Refuses private and internal addresses. 5xx, 429 and timeouts are retried."
    )
    params_form = _http.HttpParameters

    def execute(self, context: JobContext) -> dict:
        context.require_contact()
        return _http.send(context)
