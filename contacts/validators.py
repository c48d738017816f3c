"""Checks of single values that several models and forms share."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Every character that a mail body, a header or a terminal shows as a new line.
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def validate_single_line(value: str) -> None:
    """A name is one line: no visitor may put lines of their own into a mail that greets
    them by name (the sign-up form is public, the mail carries the organization's brand)."""
    if any(char in LINE_BREAKS for char in value or ""):
        raise ValidationError(_("Line breaks are not allowed here."), code="line_break")


def single_line(value: str) -> str:
    """The value with its line breaks as spaces: for names that arrive from other systems,
    which nobody could correct (a form refuses them instead)."""
    return "".join(" " if char in LINE_BREAKS else char for char in value or "")
