from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from automations.jobs.base import BaseJob, JobContext, JobParameters
from contacts.attributes import clean_value
from contacts.models import AttributeDefinition
from engage.errors import PermanentError
from engage.events import K
from engage.lib.dynamic import check_template, render_text
from engage.notes import note, sentence

NOT_VALID = sentence(gettext_noop("“%(value)s” is not a valid %(attribute)s: %(reason)s"))


class Parameters(JobParameters):
    attribute = forms.ModelChoiceField(label=_("attribute"), queryset=AttributeDefinition.objects.all())
    value = forms.CharField(
        label=_("value"),
        max_length=1000,
        help_text=_("Dynamic text, e.g. {{ event.payload.plan }} or {{ contact.first_name }}."),
    )

    def clean_value(self) -> str:
        check_template(self.cleaned_data["value"])
        return self.cleaned_data["value"]


class Job(BaseJob):
    label = _("Store data in profile attribute")
    scopes = K
    description = _("Writes a value, which may come from the event, into one of the contact's custom attributes.")
    params_form = Parameters

    def execute(self, context: JobContext) -> dict:
        contact = context.require_contact()
        definition = context.related(AttributeDefinition, "attribute")
        text = render_text(context.params["value"], context.template_data())
        try:
            value = clean_value(definition, text)
        except ValidationError as exc:
            reason = " ".join(exc.messages)
            raise PermanentError(note(NOT_VALID, value=text, attribute=definition.label, reason=reason)) from exc
        from contacts.services import update_profile

        changed = update_profile(contact=contact, fields={}, attributes={definition.key: value}, source="automation")
        return {"attribute": definition.key, "value": value, "changed": bool(changed)}
