"""Custom attribute values, checked against the organization's definitions.

The same function serves the admin, CSV import and the API, so a value is valid or not
wherever it comes from. Values are stored as JSON: text and choice as strings, numbers as
numbers, dates as ISO strings (YYYY-MM-DD, so that they sort), booleans as booleans.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contacts.models import AttributeDefinition, Organization

TRUE = {"true", "1", "yes", "y", "ja", "on"}
FALSE = {"false", "0", "no", "n", "nein", "off"}
MAX_TEXT = 1000
MAX_NUMBER = 10**15  # beyond it, numbers lose precision in JSON and overflow database integers


def definitions_of(organization: Organization | None) -> dict[str, AttributeDefinition]:
    return {d.key: d for d in AttributeDefinition.objects.filter(organization=organization)}


def clean_attributes(
    organization: Organization | None,
    values: dict[str, Any] | None,
    *,
    partial: bool = False,
    definitions: dict[str, AttributeDefinition] | None = None,
) -> dict:
    """Return `values` converted to their stored form, or raise ValidationError with one
    message per attribute key. With `partial`, missing required attributes are fine.
    Pass `definitions` (from definitions_of) when cleaning many contacts in a row."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ValidationError({"attributes": [_("Custom attributes must be an object of key → value.")]})
    if definitions is None:
        definitions = definitions_of(organization)
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for key, raw in values.items():
        definition = definitions.get(key)
        if definition is None:
            errors[key] = [_("Unknown attribute. Define it under Custom attributes first.")]
            continue
        try:
            value = clean_value(definition, raw)
        except ValidationError as exc:
            errors[key] = exc.messages
            continue
        if value is None and definition.required and not partial:
            errors[key] = [_("This attribute is required.")]
            continue
        cleaned[key] = value
    if not partial:
        for key, definition in definitions.items():
            if definition.required and key not in values:
                errors[key] = [_("This attribute is required.")]
    if errors:
        raise ValidationError({key: messages for key, messages in errors.items()})
    return cleaned


def clean_value(definition: AttributeDefinition, raw: Any) -> Any:
    """One value in its stored form; None for empty."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    kind = definition.type
    if kind == AttributeDefinition.Type.TEXT:
        text = str(raw)
        if len(text) > MAX_TEXT:
            raise ValidationError(_("At most %(max)d characters.") % {"max": MAX_TEXT})
        return text
    if kind == AttributeDefinition.Type.NUMBER:
        return _number(raw)
    if kind == AttributeDefinition.Type.DATE:
        return _date(raw)
    if kind == AttributeDefinition.Type.BOOLEAN:
        return _boolean(raw)
    if kind == AttributeDefinition.Type.CHOICE:
        value = str(raw)
        if value not in definition.choices:
            raise ValidationError(
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": value, "choices": ", ".join(definition.choices)}
            )
        return value
    raise ValidationError(_("Unknown attribute type."))


def form_field(definition: AttributeDefinition) -> forms.Field:
    """A typed form field for one attribute, labelled with its name; the value it cleans
    goes through clean_value like any other."""
    label, required = definition.label, definition.required
    kind = definition.type
    if kind == AttributeDefinition.Type.NUMBER:
        return forms.DecimalField(label=label, required=required, max_digits=None)
    if kind == AttributeDefinition.Type.DATE:
        widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        return forms.DateField(label=label, required=required, widget=widget)
    if kind == AttributeDefinition.Type.BOOLEAN:
        choices = [("", "—"), ("true", gettext_lazy("yes")), ("false", gettext_lazy("no"))]
        return forms.ChoiceField(label=label, required=required, choices=choices)
    if kind == AttributeDefinition.Type.CHOICE:
        return forms.ChoiceField(
            label=label, required=required, choices=[("", "—"), *[(c, c) for c in definition.choices]]
        )
    return forms.CharField(label=label, required=required, max_length=MAX_TEXT)


def form_initial(stored: Any) -> Any:
    """A stored value as the form field shows it (booleans as "true"/"false")."""
    if isinstance(stored, bool):
        return "true" if stored else "false"
    return stored


def _number(raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise ValidationError(_("Enter a number."))
    if isinstance(raw, int | float):
        number = Decimal(str(raw))
    else:
        try:
            number = Decimal(str(raw).strip().replace(",", "."))
        except InvalidOperation:
            raise ValidationError(_("Enter a number.")) from None
    if not number.is_finite():
        raise ValidationError(_("Enter a number."))
    if abs(number) > MAX_NUMBER:
        raise ValidationError(_("Enter a number between -10¹⁵ and 10¹⁵."))
    return int(number) if number == number.to_integral_value() else float(number)


def _date(raw: Any) -> str:
    if isinstance(raw, date):
        return raw.isoformat()
    try:
        parsed = parse_date(str(raw).strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationError(_("Enter a date as YYYY-MM-DD."))
    return parsed.isoformat()


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValidationError(_("Enter yes or no (true/false)."))
