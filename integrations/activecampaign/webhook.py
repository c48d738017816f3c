"""Reading ActiveCampaign's webhooks: form-encoded, with [bracketed] keys for nested data."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

BRACKETS = re.compile(r"\[([^\]]*)\]")
MAX_BRACKETS = 8  # contact[fields][sprache] has 2; ActiveCampaign sends no deeper keys


class TooDeep(ValueError):
    pass


def parse_webhook(body: str) -> dict[str, Any]:
    """ActiveCampaign's form-encoded webhook as nested data: `contact[fields][sprache]=de`
    becomes {"contact": {"fields": {"sprache": "de"}}}."""
    data: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True, max_num_fields=1000):
        head, _, rest = key.partition("[")
        path = [head, *BRACKETS.findall("[" + rest)] if rest else [head]
        if len(path) - 1 > MAX_BRACKETS:
            raise TooDeep(f"A field name has more than {MAX_BRACKETS} levels of [brackets]: {head[:40]}[…].")
        node = data
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[path[-1]] = value
    return data
