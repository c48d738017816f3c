"""Small helpers for showing stored data to people."""

import json

from django.utils.html import format_html


def pretty_json(value) -> str:
    """JSON as an indented, escaped <pre> block for the admin."""
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    return format_html('<pre style="white-space: pre-wrap; margin: 0;">{}</pre>', text)
