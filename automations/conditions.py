"""Conditions on the fields of a Salesforce record (`Status equals Closed`), as a workflow
in Qualtrics has them: stored on the automation as a JSON list of
`{"field": …, "operator": …, "value": …}` and checked when a run is due, against the
record's latest state, so a Case reopened during the delay no longer counts.

Values compare as text, ignoring letter case and surrounding spaces: Salesforce sends every
field as text (`true`, `2024-05-14T09:12:33.000Z`, `Closed`). A field of a related record
is named with a dot (`Account.Name`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

MAX_CONDITIONS = 10
FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,99}(\.[A-Za-z][A-Za-z0-9_]{0,99}){0,7}$")


class Operator(models.TextChoices):
    EQUALS = "equals", _("equals")
    NOT_EQUALS = "not_equals", _("does not equal")
    CONTAINS = "contains", _("contains")
    IN = "in", _("is one of (separate with commas)")
    EMPTY = "empty", _("is empty")
    NOT_EMPTY = "not_empty", _("is not empty")


WITHOUT_VALUE = {Operator.EMPTY, Operator.NOT_EMPTY}


def _text(value: Any) -> str:
    return value.strip().casefold() if isinstance(value, str) else ""


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    value: str = ""

    def value_in(self, fields: dict[str, Any]) -> Any:
        """The field's value in a record's fields; a dotted name walks into related records."""
        value: Any = fields
        for part in self.field.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value

    def holds(self, fields: dict[str, Any]) -> bool:
        actual = self.value_in(fields)
        text, wanted = _text(actual), _text(self.value)
        if self.operator == Operator.EMPTY:
            return not text
        if self.operator == Operator.NOT_EMPTY:
            return bool(text)
        if self.operator == Operator.EQUALS:
            return text == wanted
        if self.operator == Operator.NOT_EQUALS:
            return text != wanted
        if self.operator == Operator.CONTAINS:
            return wanted in text
        return text in {_text(item) for item in self.value.split(",")}

    def describe(self) -> str:
        label = Operator(self.operator).label
        return f"{self.field} {label}" if self.operator in WITHOUT_VALUE else f"{self.field} {label} {self.value}"

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "operator": self.operator, "value": self.value}


def parse_conditions(data: Any) -> list[Condition]:
    """Conditions from their stored (or submitted) form; ValidationError names each
    problem in the marketer's words. Rows left entirely empty are dropped."""
    if data in (None, ""):
        return []
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise ValidationError(_("Conditions are a list of field, operator and value."))
    conditions, errors = [], []
    for number, row in enumerate(data, start=1):
        field, operator, value = (str(row.get(key) or "").strip() for key in ("field", "operator", "value"))
        if not field and not value:  # an unused row (its comparison keeps its default)
            continue
        problem = _problem(field, operator, value)
        if problem:
            errors.append(_("Condition %(number)d: %(problem)s") % {"number": number, "problem": problem})
        else:
            conditions.append(Condition(field, operator, "" if operator in WITHOUT_VALUE else value))
    if len(conditions) > MAX_CONDITIONS:
        errors.append(_("At most %(count)d conditions.") % {"count": MAX_CONDITIONS})
    if errors:
        raise ValidationError(errors)
    return conditions


def _problem(field: str, operator: str, value: str) -> str:
    if not field:
        return str(_("choose the field."))
    if not FIELD_NAME.match(field):
        return str(
            _("“%(field)s” is not a Salesforce field name (letters, digits and _, e.g. Status or Account.Name).")
            % {"field": field}
        )
    if operator not in Operator.values:
        return str(_("choose how to compare."))
    if operator in WITHOUT_VALUE and value:
        return str(_("“%(operator)s” takes no value; leave the value empty.") % {"operator": Operator(operator).label})
    if operator not in WITHOUT_VALUE and not value:
        return str(_("enter the value to compare with."))
    if operator == Operator.IN and not any(item.strip() for item in value.split(",")):
        return str(_("list the values, separated by commas."))
    return ""


def first_unmet(conditions: list[Condition], fields: dict[str, Any]) -> Condition | None:
    """The first condition the record's fields do not meet (all must hold), or None."""
    return next((condition for condition in conditions if not condition.holds(fields)), None)
