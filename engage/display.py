"""Small helpers for showing stored data to people."""

import json

from django.utils.html import format_html


def pretty_json(value) -> str:
    """JSON as an indented, escaped <pre> block for the admin."""
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    return format_html('<pre style="white-space: pre-wrap; margin: 0;">{}</pre>', text)


# Colours of a status, by what it means to the reader (text, background); readable in
# light and dark mode and for colour-blind readers alike, since the label stays written.
TONES = {
    "good": ("#0b5d1e", "#d7f5dd"),
    "bad": ("#8a1010", "#fbdada"),
    "waiting": ("#5b4a00", "#fbf0c4"),
    "busy": ("#0b3d91", "#dbe7fb"),
    "neutral": ("#3d3d3d", "#e6e6e6"),
}


def status_badge(label: str, tone: str) -> str:
    """A status as a coloured label for admin lists."""
    color, background = TONES.get(tone, TONES["neutral"])
    return format_html(
        '<span class="status-badge status-{}" style="color: {}; background: {}; padding: 1px 6px; '
        'border-radius: 8px; white-space: nowrap;">{}</span>',
        tone,
        color,
        background,
        label,
    )
