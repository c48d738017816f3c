"""What every app stores about a contact, for the contact's rights under the GDPR: a copy
of everything held (Art. 15/20) and erasure (Art. 17).

Each app registers, in its AppConfig.ready(), one entry per model that holds personal
data: which columns hold it, a section of the export and an eraser. contacts.gdpr runs
them all. A test walks every model and fails on a text or JSON column linked to a
contact that no entry names, so a new one cannot be forgotten.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model


@dataclass(frozen=True)
class PersonalData:
    """The personal data one model holds.

    `fields`: the columns that may hold personal data; `erase` clears them (or removes the
    rows) and keeps what statistics need. `kept`: linked columns that hold nothing
    personal, each with the reason, so a reviewer sees it was a decision.
    `export(contact)` returns the section's JSON-ready data; `erase(contact, email)` gets
    the contact and its address before erasure (some rows are found by address).
    """

    section: str
    model: type[Model]
    fields: tuple[str, ...]
    export: Callable[[Any], Any]
    erase: Callable[[Any, str], None]
    kept: dict[str, str] | None = None


_entries: dict[str, PersonalData] = {}


def register(
    section: str,
    model: type[Model],
    *,
    fields: tuple[str, ...],
    export: Callable[[Any], Any],
    erase: Callable[[Any, str], None],
    kept: dict[str, str] | None = None,
) -> None:
    """Declare a model's personal data under `section` of the export (one per section)."""
    _entries[section] = PersonalData(section, model, fields, export, erase, kept)


def entries() -> tuple[PersonalData, ...]:
    return tuple(_entries.values())


def covered_fields(model: type[Model]) -> set[str]:
    """Every column of `model` some entry names, as personal data or as kept."""
    names: set[str] = set()
    for entry in _entries.values():
        if entry.model is model:
            names |= set(entry.fields) | set(entry.kept or {})
    return names


def export_all(contact: Any) -> dict[str, Any]:
    return {entry.section: entry.export(contact) for entry in _entries.values()}


def erase_all(contact: Any, email: str) -> None:
    for entry in _entries.values():
        entry.erase(contact, email)
