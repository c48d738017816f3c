import json

from django import forms
from django.utils.translation import gettext_lazy as _

from automations.jobs.base import BaseJob, JobContext, JobParameters
from contacts import services
from engage.events import K
from engage.lib.dynamic import check_template, render_json


class Parameters(JobParameters):
    type = forms.CharField(label=_("transaction type"), max_length=64)
    data = forms.CharField(
        label=_("data (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_('JSON with dynamic text in its strings, e.g. {"order": "{{ event.payload.order_id }}"}.'),
    )

    def clean_data(self) -> str:
        text = self.cleaned_data["data"] or "{}"
        if not isinstance(text, str):
            text = json.dumps(text)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc}) from exc
        if not isinstance(data, dict):
            raise forms.ValidationError(_('Enter a JSON object, e.g. {"key": "value"}.'))
        check_template(text)
        return text


class Job(BaseJob):
    label = _("Add transaction to contact")
    scopes = K
    description = _("Adds a timestamped transaction to the contact, with data that may come from the event.")
    params_form = Parameters

    def execute(self, context: JobContext) -> dict:
        data = render_json(json.loads(context.params.get("data") or "{}"), context.template_data())
        transaction = services.add_transaction(
            contact=context.require_contact(), type=context.params["type"], data=data
        )
        return {"transaction": transaction.pk, "type": transaction.type, "data": data}
