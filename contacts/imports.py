"""Contact CSV import: upload → preview (dry run) → import in the background, batch by batch.

Rows are read from the upload one at a time and stored as chunks of CHUNK_ROWS rows, so
no step holds the whole file. A chunk is imported in one transaction and marked done in
that same transaction: a worker that dies mid-import is followed by one that starts at
the first chunk not done, and no row is imported twice.
"""

from __future__ import annotations

import codecs
import csv
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import IO

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.import_rows import Action, ChunkImporter
from contacts.models import ContactImport, ContactImportChunk, Organization, User
from engage.events import EventType, Scope, record_event

CHUNK_ROWS = 1000
PREVIEW_ROWS = 20
REQUIRED_COLUMNS = {"email"}


class ImportFileError(ValueError):
    """The file cannot be imported at all (not CSV, no e-mail column)."""


def read_rows(binary: IO[bytes]) -> Iterator[list[str]]:
    """CSV rows from an uploaded file, decoded as UTF-8 (with or without BOM), streaming.
    The delimiter (comma or semicolon, as spreadsheet programs write them) is detected."""
    text = codecs.getreader("utf-8-sig")(binary, errors="strict")
    first = text.readline()
    if not first:
        raise ImportFileError(_("The file is empty."))
    delimiter = ";" if first.count(";") > first.count(",") else ","
    yield from csv.reader(_chain([first], text), delimiter=delimiter)


def _chain(head: Iterable[str], tail: Iterable[str]) -> Iterator[str]:
    yield from head
    yield from tail


@transaction.atomic
def create_import(*, organization: Organization, file_name: str, binary: IO[bytes], user: User | None) -> ContactImport:
    rows = read_rows(binary)
    try:
        columns = [c.strip() for c in next(rows)]
        duplicates = sorted({c for c in columns if columns.count(c) > 1})
        if duplicates:
            raise ImportFileError(_("These columns appear twice: %(columns)s") % {"columns": ", ".join(duplicates)})
        missing = REQUIRED_COLUMNS - set(columns)
        if missing:
            raise ImportFileError(_("The file has no column “%(column)s”.") % {"column": ", ".join(sorted(missing))})
        contact_import = ContactImport.objects.create(
            organization=organization, file_name=file_name[:255], columns=columns, created_by=user
        )
        total = 0
        chunk: list[list[str]] = []
        for row in rows:
            if not any(cell.strip() for cell in row):
                continue
            chunk.append(row)
            total += 1
            if len(chunk) == CHUNK_ROWS:
                _store_chunk(contact_import, chunk, first_line=total - len(chunk) + 2)
                chunk = []
        if chunk:
            _store_chunk(contact_import, chunk, first_line=total - len(chunk) + 2)
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _("This file is not UTF-8 text. Save it as “CSV UTF-8” in your spreadsheet program and upload it again.")
        ) from exc
    except csv.Error as exc:
        raise ImportFileError(_("This is not a readable CSV file: %(error)s") % {"error": exc}) from exc
    if total == 0:
        raise ImportFileError(_("The file has column names but no rows."))
    contact_import.total_rows = total
    contact_import.preview = preview(contact_import)
    contact_import.save(update_fields=["total_rows", "preview"])
    return contact_import


def _store_chunk(contact_import: ContactImport, rows: list[list[str]], *, first_line: int) -> None:
    index = contact_import.chunks.count()
    ContactImportChunk.objects.create(contact_import=contact_import, index=index, first_line=first_line, rows=rows)


def preview(contact_import: ContactImport) -> dict:
    """A dry run of the first rows: what would be created, updated, or refused, and why."""
    first = contact_import.chunks.order_by("index").first()
    rows = first.rows[:PREVIEW_ROWS] if first else []
    importer = ChunkImporter(contact_import.organization, contact_import.columns)
    results = importer.import_rows(rows, dry_run=True)
    email_at = contact_import.columns.index("email")
    lines = []
    for number, (row, result) in enumerate(zip(rows, results, strict=True), start=first.first_line if first else 2):
        line = {"line": number, "action": result.action, "email": row[email_at] if email_at < len(row) else ""}
        if result.errors:
            line["errors"] = result.errors
        lines.append(line)
    return {"rows": lines}


def start_import(contact_import: ContactImport) -> bool:
    """Queue the import; False if it was started before (it runs once)."""
    updated = ContactImport.objects.filter(pk=contact_import.pk, status=ContactImport.Status.UPLOADED).update(
        status=ContactImport.Status.QUEUED
    )
    if updated:
        from django_q.tasks import async_task

        transaction.on_commit(lambda: async_task("contacts.tasks.run_contact_import", contact_import.pk))
    return bool(updated)


def run_import(import_id: int) -> None:
    """Import every chunk not yet done, then fire *contact import finished*."""
    ContactImport.objects.filter(pk=import_id, status=ContactImport.Status.QUEUED).update(
        status=ContactImport.Status.RUNNING
    )
    contact_import = ContactImport.objects.select_related("organization").get(pk=import_id)
    if contact_import.status != ContactImport.Status.RUNNING:
        return
    importer = ChunkImporter(contact_import.organization, contact_import.columns)
    try:
        for chunk_id in contact_import.chunks.filter(done=False).order_by("index").values_list("pk", flat=True):
            _import_chunk(contact_import, importer, chunk_id)
    except Exception as exc:
        ContactImport.objects.filter(pk=import_id).update(
            status=ContactImport.Status.FAILED, failure=f"{exc.__class__.__name__}: {exc}", finished_at=timezone.now()
        )
        raise
    _finish(import_id)


def _import_chunk(contact_import: ContactImport, importer: ChunkImporter, chunk_id: int) -> None:
    with transaction.atomic():
        chunk = ContactImportChunk.objects.select_for_update().get(pk=chunk_id)
        if chunk.done:
            return
        results = importer.import_rows(chunk.rows)
        totals = Counter(result.action for result in results)
        errors = [
            {"line": chunk.first_line + offset, "errors": result.errors}
            for offset, result in enumerate(results)
            if result.action == Action.INVALID
        ]
        chunk.done = True
        chunk.rows = []  # imported: no need to keep personal data twice
        chunk.save(update_fields=["done", "rows"])
        stored = ContactImport.objects.select_for_update().get(pk=contact_import.pk)
        room = ContactImport.MAX_REPORTED_ERRORS - len(stored.errors)
        ContactImport.objects.filter(pk=contact_import.pk).update(
            processed_rows=F("processed_rows") + len(results),
            created_count=F("created_count") + totals[Action.NEW],
            updated_count=F("updated_count") + totals[Action.UPDATE],
            skipped_count=F("skipped_count") + totals[Action.SKIP],
            error_count=F("error_count") + len(errors),
            errors=stored.errors + errors[: max(room, 0)],
        )


@transaction.atomic
def _finish(import_id: int) -> None:
    contact_import = ContactImport.objects.select_for_update().select_related("organization").get(pk=import_id)
    if contact_import.status != ContactImport.Status.RUNNING:
        return
    contact_import.status = ContactImport.Status.FINISHED
    contact_import.finished_at = timezone.now()
    contact_import.save(update_fields=["status", "finished_at"])
    record_event(
        organization=contact_import.organization,
        type=EventType.CONTACT_IMPORT_FINISHED,
        user=contact_import.created_by,
        scope=Scope.SYSTEM,
        payload={
            "import": contact_import.pk,
            "file": contact_import.file_name,
            "rows": contact_import.total_rows,
            "created": contact_import.created_count,
            "updated": contact_import.updated_count,
            "unchanged": contact_import.skipped_count,
            "errors": contact_import.error_count,
        },
        source="import",
    )
