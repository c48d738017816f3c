"""One chunk of a contact CSV import: every row checked on its own (its errors reported by
column), then the whole chunk written with a few queries, however many rows it holds.

Columns: email (the key: rows upsert by e-mail, case-insensitive), salutation, first_name,
last_name, phone, company, language, external_ref, tags and groups (names separated by
commas; listed tags and group memberships are added, none removed, and an existing
membership keeps its state: an import never undoes an opt-out), and `attr:<key>` per
custom attribute, validated against its definition. A column the file does not have
leaves the field as it is; an empty cell sets it to its default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from contacts.attributes import clean_attributes, definitions_of
from contacts.models import Contact, Group, Membership, Organization, Tag
from engage import ports
from engage.lib import bulk

FIELDS = ("email", "salutation", "first_name", "last_name", "phone", "company", "language", "external_ref")
ATTRIBUTE_PREFIX = "attr:"
TAG_NAME = Tag._meta.get_field("name")


class Action:
    NEW = "new"
    UPDATE = "update"
    SKIP = "skip"  # an existing contact the row would not change
    INVALID = "invalid"


@dataclass
class RowResult:
    action: str
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class _Row:
    email_key: str
    fields: dict[str, str]
    attributes: dict
    tags: list[str]
    groups: list[Group]


def split_names(value: str | None) -> list[str]:
    return [name.strip() for name in (value or "").split(",") if name.strip()]


class ChunkImporter:
    """Imports the chunks of one organization's file. What every chunk needs (attribute
    definitions, groups, tags) is read once."""

    def __init__(self, organization: Organization, columns: Sequence[str]) -> None:
        self.organization = organization
        self.columns = list(columns)
        self.fields = [name for name in FIELDS if name in self.columns]
        self.model_fields = {name: Contact._meta.get_field(name) for name in self.fields}
        self.definitions = definitions_of(organization)
        self.groups = {g.name.lower(): g for g in Group.objects.filter(organization=organization)}
        self.tags = {t.name.lower(): t for t in Tag.objects.filter(organization=organization)}

    def import_rows(self, rows: Sequence[Sequence[str]], *, dry_run: bool = False) -> list[RowResult]:
        """Check and upsert the rows; one result per row, in order. A dry run writes nothing."""
        parsed = [self._parse(row) for row in rows]
        for attempt in range(2):
            try:
                with transaction.atomic():
                    return self._upsert(parsed, dry_run=dry_run)
            except IntegrityError:
                if attempt:
                    raise
                # A contact or tag of the chunk was created meanwhile: look them up again.
                self.tags = {t.name.lower(): t for t in Tag.objects.filter(organization=self.organization)}
        raise AssertionError("unreachable")

    # --- one row ------------------------------------------------------------------------
    def _parse(self, row: Sequence[str]) -> _Row | dict[str, list[str]]:
        width = len(self.columns)
        cells = dict(zip(self.columns, (list(row) + [""] * width)[:width], strict=True))
        errors: dict[str, list[str]] = {}
        values: dict[str, str] = {}
        for name, model_field in self.model_fields.items():
            value = cells[name]
            if name == "email":
                value = value.strip()
            if value == "" and model_field.has_default():
                value = model_field.get_default()
            if not (model_field.blank and value in model_field.empty_values):
                try:
                    value = model_field.clean(value, None)
                except ValidationError as exc:
                    errors[name] = exc.messages
            values[name] = value
        raw = {key[len(ATTRIBUTE_PREFIX) :]: value for key, value in cells.items() if key.startswith(ATTRIBUTE_PREFIX)}
        attributes: dict = {}
        try:
            attributes = clean_attributes(self.organization, raw, partial=True, definitions=self.definitions)
        except ValidationError as exc:
            errors.update({f"{ATTRIBUTE_PREFIX}{key}": messages for key, messages in exc.message_dict.items()})
        group_names = split_names(cells.get("groups"))
        unknown = [name for name in group_names if name.lower() not in self.groups]
        if unknown:
            errors["groups"] = [f"Unknown group: {', '.join(unknown)}"]
        tag_names = split_names(cells.get("tags"))
        for name in tag_names:
            if name.lower() not in self.tags:  # a tag the import would create
                try:
                    TAG_NAME.clean(name, None)
                except ValidationError as exc:
                    errors.setdefault("tags", []).extend(exc.messages)
        if errors:
            return errors
        return _Row(
            email_key=values["email"].lower(),
            fields=values,
            attributes={key: value for key, value in attributes.items() if value is not None},
            tags=tag_names,
            groups=[self.groups[name.lower()] for name in group_names],
        )

    # --- the chunk ----------------------------------------------------------------------
    def _upsert(self, parsed: list[_Row | dict[str, list[str]]], *, dry_run: bool) -> list[RowResult]:
        rows = [row for row in parsed if isinstance(row, _Row)]
        existing = self._existing({row.email_key for row in rows})
        new: dict[str, Contact] = {}
        changed: dict[str, Contact] = {}
        saved: dict[str, Contact] = {}  # every contact a row wrote to: what listens to changes hears of it
        results = []
        for row in parsed:
            if not isinstance(row, _Row):
                results.append(RowResult(Action.INVALID, row))
                continue
            contact = existing.get(row.email_key) or new.get(row.email_key)
            if contact is None:
                contact = new[row.email_key] = Contact(
                    organization=self.organization, **row.fields, attributes=row.attributes
                )
                action = Action.NEW
            elif _apply(contact, row) or row.tags or row.groups:
                action = Action.UPDATE
                if row.email_key in existing:
                    changed[row.email_key] = contact
            else:
                action = Action.SKIP
            if action != Action.SKIP:
                saved[row.email_key] = contact
            results.append(RowResult(action))
        if not dry_run and saved:
            self._write(list(new.values()), list(changed.values()), rows, saved)
        return results

    def _existing(self, keys: set[str]) -> dict[str, Contact]:
        if not keys:
            return {}
        candidates = Contact.objects.filter(organization=self.organization).annotate(email_lower=Lower("email"))
        return {c.email_lower: c for c in candidates.filter(email_lower__in=keys)}

    def _write(self, new: list[Contact], changed: list[Contact], rows: list[_Row], saved: dict[str, Contact]) -> None:
        bulk.insert(new)
        if changed:
            now = timezone.now()
            for contact in changed:
                contact.updated_at = now
            bulk.update(changed, [*self.fields, "attributes", "updated_at"])
        tags = self._tags({name for row in rows for name in row.tags})
        bulk.insert(
            list(
                {
                    (saved[row.email_key].pk, tags[name.lower()].pk): Contact.tags.through(
                        contact_id=saved[row.email_key].pk, tag_id=tags[name.lower()].pk
                    )
                    for row in rows
                    for name in row.tags
                }.values()
            ),
            ignore_conflicts=True,
        )
        # An existing membership keeps its state (ignore_conflicts): an import never undoes an opt-out.
        bulk.insert(
            list(
                {
                    (saved[row.email_key].pk, group.pk): Membership(
                        contact=saved[row.email_key], group=group, state=Membership.State.MEMBER
                    )
                    for row in rows
                    for group in row.groups
                }.values()
            ),
            ignore_conflicts=True,
        )
        ports.contacts_changed(organization_id=self.organization.pk, contact_ids=[c.pk for c in saved.values()])

    def _tags(self, names: set[str]) -> dict[str, Tag]:
        """The tags of these names (any letter case), created where missing."""
        missing = {name.lower(): name for name in names if name.lower() not in self.tags}
        if missing:
            Tag.objects.bulk_create(
                [Tag(organization=self.organization, name=name) for name in missing.values()], ignore_conflicts=True
            )
            self.tags = {t.name.lower(): t for t in Tag.objects.filter(organization=self.organization)}
        return self.tags


def _apply(contact: Contact, row: _Row) -> bool:
    """Set the row's values on an existing contact; whether anything changed."""
    changed = False
    for name, value in row.fields.items():
        if getattr(contact, name) != value:
            setattr(contact, name, value)
            changed = True
    attributes = {**(contact.attributes or {}), **row.attributes}
    if attributes != contact.attributes:
        contact.attributes = attributes
        changed = True
    return changed
