"""Add to directory: the contact a Salesforce record (or any event) describes, with its data.

First name, last name and e-mail are required and come from the event through dynamic
text; further values are mapped the same way. They are saved either as custom attributes
of the contact ("embedded data"; the contact is created if the address is new) or as a
transaction on the contact with that address, which must already exist.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from automations.jobs.base import BaseJob, JobContext, JobParameters
from contacts import services as contacts
from contacts.attributes import clean_value
from contacts.models import AttributeDefinition, Contact
from contacts.selectors import contact_by_email
from engage.errors import PermanentError
from engage.events import K
from engage.lib.dynamic import check_template, render_json, render_text

KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
REQUIRED = {"email": "e-mail address", "first_name": "first name", "last_name": "last name"}


class Parameters(JobParameters):
    email = forms.CharField(label=_("e-mail"), max_length=500, initial="{{ event.payload.fields.Email }}")
    first_name = forms.CharField(label=_("first name"), max_length=500, initial="{{ event.payload.fields.FirstName }}")
    last_name = forms.CharField(label=_("last name"), max_length=500, initial="{{ event.payload.fields.LastName }}")
    mapping = forms.CharField(
        label=_("further fields (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_('Names and dynamic text, e.g. {"customer_number": "{{ event.payload.fields.Kundennummer__c }}"}.'),
    )
    save_as = forms.ChoiceField(
        label=_("save further fields as"),
        choices=[
            ("attributes", _("custom attributes of the contact (embedded data)")),
            ("transaction", _("a transaction on the existing contact")),
        ],
        initial="attributes",
    )
    transaction_type = forms.CharField(
        label=_("transaction type"), max_length=64, required=False, help_text=_("For “a transaction”.")
    )

    def clean_email(self) -> str:
        return _template(self.cleaned_data["email"])

    def clean_first_name(self) -> str:
        return _template(self.cleaned_data["first_name"])

    def clean_last_name(self) -> str:
        return _template(self.cleaned_data["last_name"])

    def clean_mapping(self) -> str:
        text = self.cleaned_data["mapping"] or "{}"
        if not isinstance(text, str):
            text = json.dumps(text)
        try:
            mapping = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc}) from exc
        if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
            raise forms.ValidationError(_('Enter a JSON object of names and texts, e.g. {"plan": "{{ … }}"}.'))
        bad = [key for key in mapping if not KEY.match(key)]
        if bad:
            raise forms.ValidationError(
                _("Names are letters, digits and _ (not first): %(names)s") % {"names": ", ".join(bad)}
            )
        check_template(text)
        return text

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("save_as") == "transaction" and not cleaned.get("transaction_type"):
            self.add_error("transaction_type", _("Name the transaction type."))
        return cleaned


def _template(text: str) -> str:
    check_template(text)
    return text


class Job(BaseJob):
    label = _("Add to directory")
    scopes = K
    description = _(
        "Creates or updates the contact with the e-mail, first and last name from the event, and saves further "
        "fields as custom attributes or as a transaction. A required value that comes out empty fails the run."
    )
    params_form = Parameters

    def execute(self, context: JobContext) -> dict[str, Any]:
        params, data = context.params, context.template_data()
        values = {name: render_text(params[name], data).strip() for name in REQUIRED}
        for name, label in REQUIRED.items():
            if not values[name]:
                raise PermanentError(f"The {label} is required, and “{params[name]}” gave no value for this event.")
        try:
            validate_email(values["email"])
        except ValidationError as exc:
            raise PermanentError(f"“{values['email']}” is not an e-mail address.") from exc
        fields = render_json(json.loads(params.get("mapping") or "{}"), data)
        if params.get("save_as") == "transaction":
            contact = _existing(context, values["email"])
            contacts.add_transaction(contact=contact, type=params["transaction_type"], data=fields)
            attributes = {}
        else:
            contact = contacts.find_or_create_contact(
                organization=context.organization, email=values["email"], source="automation"
            )
            attributes = _attributes(context, fields)
        if contact.erased_at is not None:
            raise PermanentError(f"The contact {contact.pk}'s personal data has been erased; nothing is added.")
        names = {"first_name": values["first_name"][:100], "last_name": values["last_name"][:100]}
        changed = contacts.update_profile(contact=contact, fields=names, attributes=attributes, source="automation")
        return {
            "contact": contact.pk,
            "email": contact.email,
            "saved_as": params.get("save_as", "attributes"),
            "fields": fields,
            "changed": changed,
        }


def _existing(context: JobContext, email: str) -> Contact:
    contact = contact_by_email(context.organization, email)
    if contact is None:
        raise PermanentError(f"No contact has the e-mail address {email}; a transaction needs an existing contact.")
    return contact


def _attributes(context: JobContext, fields: dict[str, Any]) -> dict[str, Any]:
    """Values of defined custom attributes are checked against their type; others are
    stored as they are (embedded data)."""
    definitions = {
        d.key: d for d in AttributeDefinition.objects.filter(organization=context.organization, key__in=fields)
    }
    attributes = {}
    for key, value in fields.items():
        if key in definitions:
            try:
                value = clean_value(definitions[key], value)
            except ValidationError as exc:
                raise PermanentError(
                    f"“{value}” is not a valid {definitions[key].label}: {' '.join(exc.messages)}"
                ) from exc
        attributes[key] = value
    return attributes
