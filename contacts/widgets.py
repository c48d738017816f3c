"""The selection builder: conditions edited as rows in the admin, stored as the JSON that
contacts/selections.py compiles. The JSON stays editable under "Edit as JSON"."""

from __future__ import annotations

import json

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from contacts.models import AttributeDefinition, Contact, Group, Membership, Organization, Tag
from contacts.selections import FIELDS, OPERATORS

# What each operator says, in the marketer's language (the stored key stays the same).
OPERATOR_LABELS = {
    "eq": _("is"),
    "ne": _("is not"),
    "contains": _("contains"),
    "startswith": _("starts with"),
    "gt": _("is greater than"),
    "gte": _("is at least"),
    "lt": _("is less than"),
    "lte": _("is at most"),
    "in": _("is one of (comma-separated)"),
    "empty": _("is empty"),
    "not_empty": _("is not empty"),
}
# Names of the inputs for screen readers and tests.
INPUT_LABELS = {
    "kind": _("kind"),
    "field": _("field"),
    "attribute": _("attribute"),
    "operator": _("operator"),
    "value": _("value"),
    "tag": _("tag"),
    "group": _("group"),
    "state": _("membership state"),
    "transaction": _("transaction type"),
    "days": _("days"),
    "match": _("match"),
}


def field_choices() -> list[tuple[str, str]]:
    """The contact fields a condition can test, as (key, translated name), by name."""
    pairs = [(key, str(capfirst(Contact._meta.get_field(key).verbose_name))) for key in FIELDS]
    return sorted(pairs, key=lambda pair: pair[1])


class SelectionBuilderWidget(forms.Textarea):
    template_name = "contacts/widgets/selection_builder.html"

    class Media:
        js = ["contacts/selection-builder.js"]

    def __init__(self, organization: Organization | None, attrs=None, *, count_url: str = ""):
        super().__init__(attrs={"rows": 6, "cols": 80, **(attrs or {})})
        self.organization = organization
        self.count_url = count_url  # the admin view that counts the matching contacts while editing

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["options_id"] = f"{context['widget']['attrs']['id']}_options"
        context["count_url"] = self.count_url
        organization = self.organization
        context["builder_options"] = {
            "fields": field_choices(),
            "operators": [(op, str(OPERATOR_LABELS[op])) for op in OPERATORS],
            "attributes": [
                {"key": d.key, "label": d.label, "type": d.type, "choices": d.choices}
                for d in AttributeDefinition.objects.filter(organization=organization)
            ],
            "tags": list(Tag.objects.filter(organization=organization).values_list("name", flat=True)),
            "groups": [{"id": g.pk, "name": g.name} for g in Group.objects.filter(organization=organization)],
            "states": [("receiving", str(_("receiving mail"))), *((k, str(v)) for k, v in Membership.State.choices)],
            "labels": {
                "match": str(_("Match")),
                "of": str(_("of these conditions:")),
                "all": str(_("all")),
                "any": str(_("any")),
                "condition": str(_("+ condition")),
                "block": str(_("+ block")),
                "not": str(_("not")),
                "in_the_last": str(_("in the last")),
                "days": str(_("days")),
                "remove": str(_("remove condition")),
                "yes": str(_("yes")),
                "no": str(_("no")),
                "counting": str(_("counting…")),
                "inputs": {key: str(label) for key, label in INPUT_LABELS.items()},
                "kinds": {
                    "field": str(_("field")),
                    "attribute": str(_("attribute")),
                    "tag": str(_("tag")),
                    "group": str(_("group")),
                    "transaction": str(_("transaction")),
                    "block": str(_("block of conditions")),
                },
            },
        }
        return context

    def format_value(self, value):
        if isinstance(value, str):
            return value
        return json.dumps(value or {"match": "all", "conditions": []}, indent=2, ensure_ascii=False)
