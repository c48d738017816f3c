"""How deeply nested a piece of data is, measured without recursion (so that data nested
100,000 levels deep is measured, not a RecursionError)."""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32  # levels of objects and arrays accepted in free JSON, the body itself counted


class TooDeep(ValueError):
    """The data is nested deeper than allowed, or too deep to parse at all."""


def depth(value: Any) -> int:
    """1 for a dict or list of scalars, 2 for a dict holding such a dict, …; 0 for a scalar."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list | tuple):
            children = node
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list | tuple))
    return deepest


def check(value: Any, limit: int = MAX_DEPTH) -> Any:
    if depth(value) > limit:
        raise TooDeep(f"The data is nested more than {limit} levels deep.")
    return value


def loads(text: str | bytes, limit: int = MAX_DEPTH, **kwargs: Any) -> Any:
    """json.loads, refusing (TooDeep) data nested more than `limit` levels."""
    try:
        value = json.loads(text, **kwargs)
    except RecursionError as exc:
        raise TooDeep(f"The data is nested more than {limit} levels deep.") from exc
    return check(value, limit)
