"""Selections: which contacts match a set of conditions, as one database query.

A definition is JSON a marketer builds in the admin:

    {"match": "all",                      # or "any"
     "conditions": [
        {"field": "language", "op": "eq", "value": "de"},
        {"attribute": "score", "op": "gte", "value": 10},
        {"tag": "customer"},                               # "negate": true for "has not"
        {"group": 3, "state": "receiving"},                # or any membership state
        {"transaction": "order", "within_days": 30},
        {"match": "any", "conditions": [ ... ]}            # nested, one level deep
     ]}

`compile_definition` turns it into a Q object (tags, groups and transactions become
EXISTS subqueries), so counting a selection or testing one contact is a single query.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from contacts.attributes import clean_value
from contacts.models import AttributeDefinition, Contact, Group, Membership, Organization, Tag, Transaction

FIELDS = {
    "email",
    "salutation",
    "first_name",
    "last_name",
    "phone",
    "company",
    "language",
    "external_ref",
    "created_at",
}
OPERATORS = {
    "eq": "exact",
    "ne": "exact",
    "contains": "icontains",
    "startswith": "istartswith",
    "gt": "gt",
    "gte": "gte",
    "lt": "lt",
    "lte": "lte",
    "in": "in",
    "empty": None,
    "not_empty": None,
}
MEMBERSHIP_STATES = {*Membership.State.values, "receiving"}
MAX_DEPTH = 2  # the top level and one nested level
MAX_DAYS = 36500


def compile_definition(organization: Organization, definition: dict[str, Any]) -> Q:
    """Return the Q object of a valid definition (call `validate_definition` first)."""
    return _compile_block(organization, definition)


def validate_definition(organization: Organization, definition: Any) -> None:
    """Raise ValidationError naming each broken condition by its position (1.2 = the
    second condition of the first block)."""
    errors: list[str] = []
    _check_block(organization, definition, path="", depth=1, errors=errors)
    if errors:
        raise ValidationError(errors)


def matching_contacts(organization: Organization, definition: dict[str, Any]):
    return Contact.objects.filter(organization=organization).filter(compile_definition(organization, definition))


def _compile_block(organization: Organization, block: dict[str, Any]) -> Q:
    parts = [_compile_condition(organization, c) for c in block.get("conditions", [])]
    if not parts:
        return Q()  # an empty selection matches every contact
    combined = parts[0]
    for part in parts[1:]:
        combined = combined | part if block.get("match") == "any" else combined & part
    return combined


def _compile_condition(organization: Organization, condition: dict[str, Any]) -> Q:
    if "conditions" in condition:
        return _compile_block(organization, condition)
    negate = bool(condition.get("negate"))
    if "field" in condition:
        value = condition.get("value")
        if condition["field"] == "created_at" and value is not None:
            value = [_moment(v) for v in value] if isinstance(value, list) else _moment(value)
        q = _comparison(condition["field"], condition.get("op", "eq"), value)
    elif "attribute" in condition:
        definition = AttributeDefinition.objects.get(organization=organization, key=condition["attribute"])
        value = condition.get("value")
        if condition.get("op") not in {"empty", "not_empty", "in"}:
            value = clean_value(definition, value)
        q = _comparison(f"attributes__{condition['attribute']}", condition.get("op", "eq"), value)
    elif "tag" in condition:
        tags = Tag.objects.filter(organization=organization, name__iexact=condition["tag"], contacts=OuterRef("pk"))
        q = Q(Exists(tags))
    elif "group" in condition:
        state = condition.get("state", "receiving")
        states = Membership.RECEIVING if state == "receiving" else (state,)
        memberships = Membership.objects.filter(
            group_id=condition["group"], group__organization=organization, contact=OuterRef("pk"), state__in=states
        )
        q = Q(Exists(memberships))
    else:
        transactions = Transaction.objects.filter(
            organization=organization, type=condition["transaction"], contact=OuterRef("pk")
        )
        if condition.get("within_days") is not None:
            since = timezone.now() - timedelta(days=int(condition["within_days"]))
            transactions = transactions.filter(occurred_at__gte=since)
        q = Q(Exists(transactions))
    return ~q if negate else q


def _moment(text: str) -> datetime:
    """A date or date-time from a selection, as an aware moment (dates start at midnight)."""
    moment = parse_datetime(text) or datetime.combine(parse_date(text), time.min)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _comparison(path: str, op: str, value: Any) -> Q:
    if op == "empty":
        return Q(**{f"{path}__isnull": True}) | Q(**{path: ""})
    if op == "not_empty":
        return ~(Q(**{f"{path}__isnull": True}) | Q(**{path: ""}))
    q = Q(**{f"{path}__{OPERATORS[op]}": value})
    return ~q if op == "ne" else q


def _check_block(organization: Organization, block: Any, *, path: str, depth: int, errors: list[str]) -> None:
    where = _("Block %(path)s") % {"path": path} if path else _("The selection")
    if not isinstance(block, dict):
        errors.append(_("%(where)s must be an object with “match” and “conditions”.") % {"where": where})
        return
    if block.get("match", "all") not in {"all", "any"}:
        errors.append(_("%(where)s: “match” must be “all” or “any”.") % {"where": where})
    conditions = block.get("conditions", [])
    if not isinstance(conditions, list):
        errors.append(_("%(where)s: “conditions” must be a list.") % {"where": where})
        return
    for index, condition in enumerate(conditions, start=1):
        position = f"{path}.{index}" if path else str(index)
        if isinstance(condition, dict) and "conditions" in condition:
            if depth >= MAX_DEPTH:
                errors.append(_("Condition %(pos)s: blocks can be nested one level deep only.") % {"pos": position})
                continue
            _check_block(organization, condition, path=position, depth=depth + 1, errors=errors)
            continue
        message = _check_condition(organization, condition)
        if message:
            errors.append(_("Condition %(pos)s: %(message)s") % {"pos": position, "message": message})


def _check_condition(organization: Organization, condition: Any) -> str | None:
    if not isinstance(condition, dict):
        return _("must be an object.")
    kinds = [k for k in ("field", "attribute", "tag", "group", "transaction") if k in condition]
    if len(kinds) != 1:
        return _("give exactly one of field, attribute, tag, group or transaction.")
    kind = kinds[0]
    op = condition.get("op", "eq")
    if kind in {"field", "attribute"}:
        if op not in OPERATORS:
            return _("unknown operator “%(op)s” (use one of %(ops)s).") % {"op": op, "ops": ", ".join(OPERATORS)}
        if op == "in" and not isinstance(condition.get("value"), list):
            return _("the operator “in” needs a list of values.")
    if kind == "field" and condition["field"] not in FIELDS:
        return _("unknown field “%(field)s” (use one of %(fields)s).") % {
            "field": condition["field"],
            "fields": ", ".join(sorted(FIELDS)),
        }
    if kind == "field" and op not in {"empty", "not_empty"}:
        message = _check_field_value(condition["field"], op, condition.get("value"))
        if message:
            return message
    if kind == "attribute":
        definition = AttributeDefinition.objects.filter(organization=organization, key=condition["attribute"]).first()
        if definition is None:
            return _("unknown attribute “%(key)s”.") % {"key": condition["attribute"]}
        if op not in {"empty", "not_empty", "in"}:
            try:
                clean_value(definition, condition.get("value"))
            except ValidationError as exc:
                return " ".join(exc.messages)
    if kind == "tag" and not Tag.objects.filter(organization=organization, name__iexact=str(condition["tag"])).exists():
        return _("unknown tag “%(tag)s”.") % {"tag": condition["tag"]}
    if kind == "group":
        if not Group.objects.filter(organization=organization, pk=_int_or_none(condition["group"])).exists():
            return _("unknown group %(group)s.") % {"group": condition["group"]}
        if condition.get("state", "receiving") not in MEMBERSHIP_STATES:
            return _("unknown membership state “%(state)s”.") % {"state": condition.get("state")}
    if kind == "transaction":
        days = condition.get("within_days")
        if days is not None and (not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_DAYS):
            return _("“within_days” must be a whole number of days from 1 to %(max)d.") % {"max": MAX_DAYS}
    return None


def _check_field_value(field: str, op: str, value: Any) -> str | None:
    values = value if op == "in" else [value]
    for item in values:
        if field == "created_at":
            if not isinstance(item, str) or (parse_datetime(item) is None and parse_date(item) is None):
                return _("created_at needs a date as YYYY-MM-DD (or a date and time).")
        elif not isinstance(item, str):
            return _("the value for %(field)s must be text.") % {"field": field}
    return None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
