"""Dynamic text: job parameters that take values from the contact and the event.

Written in the Django template language, e.g. `{{ event.payload.order.total }}` or
`{{ contact.first_name|default:"friend" }}`. Templates see plain data only (dicts, strings,
numbers), never model objects, so nothing in a template can call a method that changes
data; the output is not HTML-escaped (it is stored, not shown as HTML).
"""

from __future__ import annotations

import functools
from typing import Any

from django.core.exceptions import ValidationError
from django.template import Context, Engine, Template, TemplateSyntaxError

from engage.lib import memo

ENGINE = Engine(autoescape=False, string_if_invalid="", libraries={}, builtins=["django.template.defaultfilters"])


def compiled(text: str) -> Template:
    """The template of `text`: a batch renders the same texts for every contact, so short
    ones are parsed once and kept (a few hundred, so memory stays bounded); longer ones
    are kept for the batch only (see memo)."""
    if len(text) > CACHED_TEMPLATE_SIZE:
        return memo.remembered(("template", text), lambda: ENGINE.from_string(text))
    return _cached(text)


CACHED_TEMPLATE_SIZE = 64 * 1024


@functools.lru_cache(maxsize=256)
def _cached(text: str) -> Template:
    return ENGINE.from_string(text)


def check_template(text: str) -> None:
    """Raise ValidationError if `text` is not a valid template."""
    try:
        ENGINE.from_string(text)
    except TemplateSyntaxError as exc:
        raise ValidationError(f"Invalid dynamic text: {exc}") from exc


def render_text(text: str, data: dict[str, Any]) -> str:
    return compiled(text).render(Context(data, autoescape=False))


def render_json(value: Any, data: dict[str, Any]) -> Any:
    """Render the dynamic text in every string of a JSON structure (keys stay as written)."""
    if isinstance(value, str):
        return render_text(value, data)
    if isinstance(value, dict):
        return {key: render_json(item, data) for key, item in value.items()}
    if isinstance(value, list):
        return [render_json(item, data) for item in value]
    return value


def template_data(*, contact=None, user=None, event=None, organization=None) -> dict[str, Any]:
    """The plain data a dynamic text may use."""
    data: dict[str, Any] = {}
    if contact is not None:
        data["contact"] = {
            "email": contact.email,
            "salutation": contact.salutation,
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "phone": contact.phone,
            "language": contact.language,
            "external_ref": contact.external_ref,
            "attributes": dict(contact.attributes or {}),
        }
    if user is not None:
        data["user"] = {"username": user.username, "email": user.email, "first_name": user.first_name}
    if event is not None:
        data["event"] = {"type": event.type, "name": event.name, "payload": event.payload, "source": event.source}
    if organization is not None:
        data["organization"] = {"name": organization.name, "slug": organization.slug}
    return data
