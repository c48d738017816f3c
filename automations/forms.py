from __future__ import annotations

from functools import cached_property

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from automations.conditions import parse_conditions
from automations.jobs import registry
from automations.jobs.base import JobParameters
from automations.models import Automation
from automations.widgets import ConditionsWidget
from contacts.tenancy import organization_of_form
from engage.events import EventType, Scope, scope_label, scopes_of


def event_choices() -> list:
    """The catalogue grouped by scope, each event labelled with it: "Contact created (K)"."""
    groups = [
        (_("Contact (K)"), frozenset({Scope.CONTACT})),
        (_("System (S)"), frozenset({Scope.SYSTEM})),
        (_("Contact or system (K/S)"), frozenset({Scope.CONTACT, Scope.SYSTEM})),
    ]
    return [
        ("", "---------"),
        *(
            (title, [(e.value, f"{e.label} ({scope_label(scopes)})") for e in EventType if scopes_of(e) == scopes])
            for title, scopes in groups
        ),
    ]


class ConditionsField(forms.Field):
    """Rows of field, comparison and value; a bad row is a form error naming it."""

    widget = ConditionsWidget

    def to_python(self, value) -> list[dict[str, str]]:
        return [condition.to_json() for condition in parse_conditions(value)]


class AutomationForm(forms.ModelForm):
    """The automation with the parameter form of every job; the page shows the one of the
    chosen job, and only that one is validated and stored (as job_params)."""

    class Meta:
        model = Automation
        fields = [
            "organization", "name", "description", "is_active", "event_type", "event_name", "after_automation",
            "salesforce_connection_id", "salesforce_object", "salesforce_action_id", "salesforce_conditions",
            "delay_value", "delay_unit", "job_type", "selection", "target", "target_contact", "target_user",
            "starts_on", "ends_on", "time_zone", "execution_days", "holidays",
        ]  # fmt: skip
        widgets = {
            "execution_days": forms.CheckboxSelectMultiple(choices=Automation.WEEKDAYS),
            # Object types seen in the organization's recent notifications (the page's datalist).
            "salesforce_object": forms.TextInput(attrs={"list": "salesforce-objects", "autocomplete": "off"}),
            "salesforce_action_id": forms.TextInput(attrs={"list": "salesforce-actions", "autocomplete": "off"}),
        }

    execution_days = forms.TypedMultipleChoiceField(
        label=_("execution days"),
        choices=Automation.WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every day."),
    )

    # Checked by the model against the organization's connections; the choices are the
    # organization's (set_salesforce_choices), known once the admin has set it.
    salesforce_connection_id = forms.IntegerField(
        label=_("Salesforce connection"),
        required=False,
        widget=forms.Select,
        help_text=Automation._meta.get_field("salesforce_connection_id").help_text,
    )
    salesforce_conditions = ConditionsField(
        label=_("conditions on the record"),
        required=False,
        help_text=Automation._meta.get_field("salesforce_conditions").help_text,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["event_type"].choices = event_choices()

    def set_salesforce_choices(self, connections: list[tuple[int, str]]) -> None:
        """Offer the organization's connections (and keep one that was deleted visible)."""
        chosen = self["salesforce_connection_id"].value()
        choices = [("", _("Any connection")), *connections]
        if chosen not in (None, "") and str(chosen) not in {str(pk) for pk, _name in connections}:
            choices.append((chosen, _("A deleted connection (#%(id)s)") % {"id": chosen}))
        self.fields["salesforce_connection_id"].widget.choices = choices

    @cached_property
    def param_forms(self) -> dict[str, JobParameters]:
        # Built on first use, after the admin has set the organization on the instance.
        organization = getattr(self.instance, "organization", None)
        forms_by_job = {}
        for key, job in registry().items():
            initial = self.instance.job_params if self.instance.job_type == key else None
            forms_by_job[key] = job.params_form(
                data=self.data if self.is_bound else None,
                prefix=f"params-{key}",
                initial=initial,
                organization=organization,
            )
        return forms_by_job

    def clean(self):
        cleaned = super().clean()
        params = self.param_forms.get(cleaned.get("job_type"))
        if params is None:
            return cleaned
        params.for_organization(organization_of_form(self))  # a host admin chose it in this form
        if params.is_valid():
            self.instance.job_params = params.to_json()
        else:
            self.add_error(None, forms.ValidationError(_("Check the parameters of the job below.")))
        return cleaned

    def add_error(self, field, error) -> None:
        # The model checks job_params too (for every other way in); here the parameter
        # form has already shown its errors next to its own fields.
        if field is None and isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            error.error_dict.pop("job_params", None)
            if not error.error_dict:
                return
        super().add_error(field, error)
