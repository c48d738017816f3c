from django.utils.translation import gettext_lazy as _

from automations.jobs import _http
from automations.jobs.base import BaseJob, JobContext
from engage.events import S


class Job(BaseJob):
    label = _("Send HTTP request (system)")
    scopes = S
    transactional = False
    description = _(
        "Calls another system with data of the system event (GET or POST; JSON, form or XML), optionally signed. "
        "Refuses private and internal addresses. 5xx, 429 and timeouts are retried."
    )
    params_form = _http.HttpParameters

    def execute(self, context: JobContext) -> dict:
        return _http.send(context)
