"""Notes written for the marketer (why a run was skipped or failed, why a mail failed).

A note is stored in English, so that the API, exports and logs read one language, and is
shown in the reader's language. Each app marks the sentences its notes are made of with
`sentence()` at import time and writes a note with `note()`; `shown()` finds every known
sentence in a stored note, also inside a longer one or wrapped in another sentence, and puts
it into the active language with the same values. Words the sentences do not know (a mail
server's own reply, say) stay as they were written; a value named `thing` is a word of
Engage's own (a model's name) and is translated too.
"""

from __future__ import annotations

import re

from django.utils.translation import get_language, gettext

_PLACEHOLDER = re.compile(r"%\\\((\w+)\\\)s")
_known: dict[str, re.Pattern[str]] = {}


def sentence(text: str) -> str:
    """Make `text` (a gettext_noop'd sentence with %(name)s values) known to `shown`."""
    if text not in _known:
        pattern = _PLACEHOLDER.sub(r"(?P<\1>.+?)", re.escape(text))
        if pattern.endswith(".+?)"):
            pattern = pattern[: -len(".+?)")] + ".+)"  # a value at the end takes the rest
        _known[text] = re.compile(pattern, re.DOTALL)
    return text


def note(text: str, **values: object) -> str:
    """A note in English from a known sentence."""
    return text % values if values else text


def shown(stored: str) -> str:
    """A stored note in the active language."""
    if not stored or (get_language() or "en").startswith("en"):
        return stored
    # Longer sentences first, so that one wrapping another is recognised as a whole.
    for text, pattern in sorted(_known.items(), key=lambda item: -len(item[0])):
        stored = pattern.sub(lambda match, text=text: _translated(text, match), stored)
    return stored


def _translated(text: str, match: re.Match[str]) -> str:
    values = {name: gettext(value) if name == "thing" else shown(value) for name, value in match.groupdict().items()}
    return gettext(text) % values if values else gettext(text)
