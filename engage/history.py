"""A contact's history: what every app recorded about one contact, as one timeline.

Each app registers, in its AppConfig.ready(), a source: a function that returns the
contact's newest entries of its own records (at most `limit`, newest first). The contact's
admin page merges them, so the contacts app shows runs, mails and notifications without
importing the apps above it.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from django.db.models import Model
from django.urls import reverse

from engage.display import status_badge


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # what it is, translated: "mail", "run", "event" …
    title: str
    url: str  # the record's admin page
    status: str = ""
    tone: str = "neutral"  # engage.display.TONES
    detail: str = ""

    @property
    def badge(self) -> str:
        return status_badge(self.status, self.tone) if self.status else ""


Source = Callable[[Any, int], Iterable[Entry]]
_sources: dict[str, Source] = {}


def register(key: str, source: Source) -> None:
    """Declare a source of history entries (one per key; registering again replaces it)."""
    _sources[key] = source


def sources() -> dict[str, Source]:
    return dict(_sources)


def history(contact: Any, *, page: int = 1, per_page: int = 25) -> tuple[list[Entry], bool]:
    """One page of the contact's history, newest first, and whether an older page follows."""
    wanted = page * per_page + 1  # every source's newest `wanted` suffice for this page
    merged = heapq.merge(
        *(sorted(source(contact, wanted), key=lambda e: e.at, reverse=True) for source in _sources.values()),
        key=lambda entry: entry.at,
        reverse=True,
    )
    entries = list(islice(merged, (page - 1) * per_page, wanted))
    return entries[:per_page], len(entries) > per_page


def admin_url(obj: Model) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
