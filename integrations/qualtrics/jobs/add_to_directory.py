"""Add to directory: the contact a Salesforce record (or any event) describes, with its data.

First name, last name and e-mail are required and come from the event through dynamic
text; phone, language and external reference may be mapped too (an empty value leaves
the contact's as it is), and the contact may be put in a group (a mailing list). Further
values are mapped the same way and saved either as custom attributes of the contact
("embedded data"; the contact is created if the address is new) or as a transaction on
the contact with that address, which must already exist.

Inbound notifications never create contacts themselves: this job does, so it runs for an
event that matched no contact yet, and the contact it finds or creates becomes the run's
(an automation that follows this one acts on it).
"""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from automations.jobs.base import BaseJob, JobContext, JobParameters
from contacts import services as contacts
from contacts.attributes import clean_value
from contacts.models import AttributeDefinition, Contact, Group
from contacts.selectors import contact_by_email
from engage.errors import PermanentError
from engage.events import K
from engage.lib.dynamic import check_template, render_json, render_text
from engage.notes import note, sentence

KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
REQUIRED = {"email": "e-mail address", "first_name": "first name", "last_name": "last name"}

# Why a directory entry was not written (see engage.notes).
MISSING = sentence(gettext_noop("The %(thing)s is required, and “%(param)s” gave no value for this event."))
ERASED = sentence(gettext_noop("The contact %(contact)s's personal data has been erased; nothing is added."))
NOT_A_LANGUAGE = sentence(gettext_noop("“%(language)s” is not a language of the directory (%(known)s)."))
TOO_LONG = sentence(gettext_noop("The %(thing)s “%(value)s…” is longer than %(limit)s characters."))
CANNOT_ADD = sentence(gettext_noop("The contact %(email)s cannot be added: %(reason)s"))
NO_SUCH_CONTACT = sentence(
    gettext_noop("No contact has the e-mail address %(email)s; a transaction needs an existing contact.")
)


class Parameters(JobParameters):
    email = forms.CharField(label=_("e-mail"), max_length=500, initial="{{ event.payload.fields.Email }}")
    first_name = forms.CharField(label=_("first name"), max_length=500, initial="{{ event.payload.fields.FirstName }}")
    last_name = forms.CharField(label=_("last name"), max_length=500, initial="{{ event.payload.fields.LastName }}")
    phone = forms.CharField(
        label=_("phone"), max_length=500, required=False, initial="{{ event.payload.fields.Phone|default:'' }}"
    )
    language = forms.CharField(
        label=_("language"),
        max_length=500,
        required=False,
        help_text=_("A language code such as de or de_CH; empty leaves the contact's language as it is."),
    )
    external_ref = forms.CharField(
        label=_("external reference"), max_length=500, required=False, initial="{{ event.payload.id }}"
    )
    group = forms.ModelChoiceField(
        label=_("mailing list (group)"),
        queryset=Group.objects.all(),
        required=False,
        help_text=_("The group the contact is added to, if any."),
    )
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

    def clean_phone(self) -> str:
        return _template(self.cleaned_data["phone"])

    def clean_language(self) -> str:
        return _template(self.cleaned_data["language"])

    def clean_external_ref(self) -> str:
        return _template(self.cleaned_data["external_ref"])

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
        "Creates or updates the contact with the e-mail, first and last name (and phone, language, external "
        "reference) from the event, puts it in the chosen group, and saves further fields as custom attributes or "
        "as a transaction. A required value that comes out empty fails the run. Runs also for inbound "
        "notifications that matched no contact: this is how they add new people."
    )
    params_form = Parameters
    needs_target = False

    def execute(self, context: JobContext) -> dict[str, Any]:
        params, data = context.params, context.template_data()
        values = {name: render_text(params[name], data).strip() for name in REQUIRED}
        for name, label in REQUIRED.items():
            if not values[name]:
                raise PermanentError(note(MISSING, thing=label, param=params[name]))
        try:
            validate_email(values["email"])
        except ValidationError as exc:
            raise PermanentError(f"“{values['email']}” is not an e-mail address.") from exc
        standard = {"first_name": values["first_name"][:100], "last_name": values["last_name"][:100]}
        standard.update(_optional_fields(params, data))
        fields = render_json(json.loads(params.get("mapping") or "{}"), data)
        group = context.related(Group, "group") if params.get("group") else None
        if params.get("save_as") == "transaction":
            contact = _existing(context, values["email"])
            contacts.add_transaction(contact=contact, type=params["transaction_type"], data=fields)
            attributes = {}
        else:
            attributes = _attributes(context, fields)
            contact = contact_by_email(context.organization, values["email"], lock=True)
        if contact is None:
            contact = _create(context, values["email"], standard, attributes)
            changed = ["created"]
        elif contact.erased_at is not None:
            raise PermanentError(note(ERASED, contact=contact.pk))
        else:
            changed = contacts.update_profile(
                contact=contact, fields=standard, attributes=attributes, source="automation"
            )
        if group is not None:
            contacts.add_member(contact=contact, group=group, source="automation")
        context.adopt_contact(contact)
        return {
            "contact": contact.pk,
            "email": contact.email,
            "saved_as": params.get("save_as", "attributes"),
            "fields": fields,
            "group": group.name if group is not None else None,
            "changed": changed,
        }


def _optional_fields(params: dict[str, Any], data: dict[str, Any]) -> dict[str, str]:
    """Phone, language and external reference as the event gives them; an empty one is left out."""
    values = {name: render_text(params.get(name) or "", data).strip() for name in ("phone", "language", "external_ref")}
    if values["language"]:
        code = values["language"].replace("-", "_").split("_")[0].lower()
        if code not in Contact.Language.values:
            known = ", ".join(Contact.Language.values)
            raise PermanentError(note(NOT_A_LANGUAGE, language=values["language"], known=known))
        values["language"] = code
    for name, limit in (("phone", 40), ("external_ref", 255)):
        if len(values[name]) > limit:
            label = name.replace("_", " ")
            raise PermanentError(note(TOO_LONG, thing=label, value=values[name][:50], limit=limit))
    return {name: value for name, value in values.items() if value}


def _create(context: JobContext, email: str, standard: dict[str, str], attributes: dict[str, Any]) -> Contact:
    try:
        return contacts.create_contact(
            organization=context.organization, email=email, source="automation", attributes=attributes, **standard
        )
    except ValidationError as exc:
        raise PermanentError(note(CANNOT_ADD, email=email, reason=" ".join(exc.messages))) from exc


def _existing(context: JobContext, email: str) -> Contact:
    contact = contact_by_email(context.organization, email)
    if contact is None:
        raise PermanentError(note(NO_SUCH_CONTACT, email=email))
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
