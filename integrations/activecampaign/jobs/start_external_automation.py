"""Start external automation: hand the contact to an automation in ActiveCampaign.

Three steps, each safe to repeat after a crash or a retry: sync the contact (an upsert by
e-mail address), apply the contact's tags (created in ActiveCampaign when missing), then add
the contact to the chosen automation.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from automations.jobs.base import BaseJob, JobContext, JobParameters
from engage.errors import PermanentError
from engage.events import K
from engage.lib.dynamic import check_template, render_json
from integrations.activecampaign.client import Client
from integrations.activecampaign.models import ActiveCampaignConnection


class Parameters(JobParameters):
    automation = forms.RegexField(
        label=_("ActiveCampaign automation ID"),
        regex=r"^\d{1,12}$",
        error_messages={"invalid": _("Enter the automation's number (in its address in ActiveCampaign).")},
    )
    apply_tags = forms.BooleanField(label=_("apply the contact's tags"), required=False, initial=True)
    field_values = forms.CharField(
        label=_("custom field values (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_('ActiveCampaign field ID and dynamic text, e.g. {"1": "{{ contact.external_ref }}"}.'),
    )

    def clean_field_values(self) -> str:
        text = self.cleaned_data["field_values"] or "{}"
        if not isinstance(text, str):
            text = json.dumps(text)
        try:
            values = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc}) from exc
        if not isinstance(values, dict) or not all(k.isdigit() and isinstance(v, str) for k, v in values.items()):
            raise forms.ValidationError(_('Enter a JSON object of field IDs and texts, e.g. {"1": "…"}.'))
        check_template(text)
        return text

    def clean(self):
        cleaned = super().clean()
        if (
            self.organization is not None
            and not ActiveCampaignConnection.objects.filter(organization=self.organization, is_active=True).exists()
        ):
            raise forms.ValidationError(_("Set up the organization's ActiveCampaign connection first."))
        return cleaned


class Job(BaseJob):
    label = _("Start external automation (ActiveCampaign)")
    scopes = K
    transactional = False
    description = _(
        "Syncs the contact to ActiveCampaign (with its tags) and adds it to the chosen ActiveCampaign automation. "
        "Rate limits, server errors and timeouts are retried; other refusals fail with ActiveCampaign's message."
    )
    params_form = Parameters

    def execute(self, context: JobContext) -> dict[str, Any]:
        contact = context.require_contact()
        connection = ActiveCampaignConnection.objects.filter(organization=context.organization, is_active=True).first()
        if connection is None:
            raise PermanentError("The organization has no active ActiveCampaign connection.")
        client = Client(connection)
        field_values = render_json(json.loads(context.params.get("field_values") or "{}"), context.template_data())
        data = {"email": contact.email, "firstName": contact.first_name, "lastName": contact.last_name}
        if contact.phone:
            data["phone"] = contact.phone
        if field_values:
            data["fieldValues"] = [{"field": field, "value": value} for field, value in field_values.items()]
        contact_id = client.sync_contact(data)
        tags = (
            list(contact.tags.order_by("name").values_list("name", flat=True))
            if context.params.get("apply_tags")
            else []
        )
        for name in tags:
            client.add_tag(contact_id, client.tag_id(name))
        automation = str(context.params["automation"])
        return {
            "activecampaign_contact": contact_id,
            "tags": tags,
            "automation": automation,
            "contact_automation": client.add_to_automation(contact_id, automation),
        }
