"""The rows of conditions on a Salesforce record: field (picked from the fields seen in
recent notifications, see the page's datalist), how to compare, value."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from automations.conditions import MAX_CONDITIONS, Operator

EMPTY_ROWS = 2


class ConditionsWidget(forms.Widget):
    def value_from_datadict(self, data, files, name: str) -> list[dict[str, str]]:
        rows = []
        for number in range(MAX_CONDITIONS * 2):
            keys = [f"{name}-{number}-{part}" for part in ("field", "operator", "value")]
            if not any(key in data for key in keys):
                break
            rows.append(dict(zip(("field", "operator", "value"), (data.get(key, "") for key in keys), strict=True)))
        return rows

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer=None) -> SafeString:
        rows = [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []
        rows += [{}] * min(EMPTY_ROWS, max(MAX_CONDITIONS - len(rows), 0))
        body = format_html_join("", "{}", ((self._row(name, number, row),) for number, row in enumerate(rows)))
        header = format_html(
            "<thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>", _("Field"), _("Comparison"), _("Value")
        )
        return format_html(
            '<table class="salesforce-conditions" id="id_{}">{}<tbody>{}</tbody></table>', name, header, body
        )

    def _row(self, name: str, number: int, row: dict) -> SafeString:
        prefix = f"{name}-{number}"
        chosen = str(row.get("operator") or Operator.EQUALS)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((value, " selected" if value == chosen else "", label) for value, label in Operator.choices),
        )
        return format_html(
            "<tr>"
            '<td><input type="text" name="{0}-field" value="{1}" list="salesforce-fields" aria-label="{2}"'
            ' placeholder="Status" autocomplete="off"></td>'
            '<td><select name="{0}-operator" aria-label="{3}">{4}</select></td>'
            '<td><input type="text" name="{0}-value" value="{5}" aria-label="{6}" placeholder="Closed"></td>'
            "</tr>",
            prefix,
            row.get("field", ""),
            _("Field"),
            _("Comparison"),
            options,
            row.get("value", ""),
            _("Value"),
        )
