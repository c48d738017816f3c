"""Many rows of one model written at once, for the paths that write thousands of rows a
second (the API's bulk events and their runs, CSV imports): new rows on PostgreSQL with
one COPY, on SQLite with multi-row INSERTs; changed rows with one UPDATE … FROM a list of
values per batch.

`bulk_create` does the same with INSERTs, but compiles each value of each row through the
ORM (a few microseconds per value): with a thousand rows of a dozen columns that costs
more than the database's own work. Here each column's conversion is chosen once, and
values that the database driver takes as they are (text, numbers, ids, and dates on
PostgreSQL) are not converted at all. Like `bulk_create`, it sets the primary keys, fills
auto_now/auto_now_add dates (defaults are set when the objects are created), and sends no
model signals.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.db import connections, models, router
from django.db.models import Field, Model
from django.utils import timezone

# Values of fields of exactly these classes need no conversion for the database driver
# (a subclass may convert its values, e.g. to encrypt them, so it goes through the ORM).
_AS_IS = {
    models.AutoField, models.BigAutoField, models.BigIntegerField, models.BooleanField, models.CharField,
    models.EmailField, models.ForeignKey, models.IntegerField, models.OneToOneField, models.PositiveBigIntegerField,
    models.PositiveIntegerField, models.PositiveSmallIntegerField, models.SlugField, models.SmallIntegerField,
    models.TextField, models.URLField,
}  # fmt: skip
SQLITE_MAX_PARAMS = 32766  # SQLite ≥ 3.32; older ones allow 999
POSTGRES_MAX_PARAMS = 65535


def insert(objs: Sequence[Model], *, ignore_conflicts: bool = False) -> None:
    """Store new objects of one model and set their primary keys: on PostgreSQL with one
    COPY (after one query that takes their ids from the sequence), elsewhere with as few
    multi-row INSERTs as the database's limit on parameters allows. With
    `ignore_conflicts`, a row that would break a unique constraint is left out and no
    primary keys are set."""
    if not objs:
        return
    model = type(objs[0])
    connection = connections[router.db_for_write(model)]
    if ignore_conflicts and connection.vendor == "postgresql":
        model.objects.bulk_create(objs, ignore_conflicts=True)  # COPY cannot skip rows
        return
    _fill_in(objs)
    ids = _store(connection, model._meta, [obj.__dict__ for obj in objs], ignore_conflicts=ignore_conflicts)
    for obj, pk in zip(objs, ids or [], strict=False):
        obj.pk = pk
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def insert_rows(model: type[Model], rows: Sequence[dict[str, Any]]) -> list[Any]:
    """Store new rows given as field attname → value, without building model instances
    (a field not given takes its default, auto_now(_add) dates the current time). Returns
    their primary keys, in order."""
    if not rows:
        return []
    connection = connections[router.db_for_write(model)]
    now = timezone.now()
    missing = [f for f in model._meta.concrete_fields if not f.primary_key]
    complete = []
    for row in rows:
        full = dict(row)
        for f in missing:
            if f.attname not in full:
                dated = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
                full[f.attname] = now if dated else f.get_default()
        complete.append(full)
    return _store(connection, model._meta, complete, ignore_conflicts=False) or []


def _fill_in(objs: Sequence[Model]) -> None:
    """What saving would set: auto_now(_add) dates, ids of related objects saved after
    they were assigned."""
    fields = type(objs[0])._meta.concrete_fields
    now = timezone.now()
    dates = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    relations = [f for f in fields if f.is_relation]
    for obj in objs:
        for f in dates:
            if f.auto_now or getattr(obj, f.attname) is None:
                setattr(obj, f.attname, now)
        for f in relations:
            if getattr(obj, f.attname) is None and f.is_cached(obj):
                setattr(obj, f.attname, getattr(f.get_cached_value(obj), "pk", None))


def _rows(connection, rows: Sequence[dict[str, Any]], fields: list[Field]) -> Iterator[list[Any]]:
    prepare = [(_preparer(f, connection), f.attname) for f in fields]
    for row in rows:
        yield [convert(row[name]) if convert else row[name] for convert, name in prepare]


def _store(connection, meta, rows: Sequence[dict[str, Any]], *, ignore_conflicts: bool) -> list[Any] | None:
    """Write complete rows; their primary keys, or None where the database does not say."""
    if connection.vendor == "postgresql":
        return _copy(connection, meta, rows)
    return _insert(connection, meta, rows, ignore_conflicts=ignore_conflicts)


def _copy(connection, meta, rows: Sequence[dict[str, Any]]) -> list[Any]:
    pk = meta.pk
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        if any(row.get(pk.attname) is None for row in rows):
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk.column, len(rows)],
            )
            for row, (pk_value,) in zip(rows, cursor.fetchall(), strict=True):
                row[pk.attname] = pk_value
        fields = list(meta.concrete_fields)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        sql = f"COPY {table} ({columns}) FROM STDIN"
        started = time.monotonic()
        # The driver's own cursor: its errors become Django's (IntegrityError) as elsewhere.
        with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            for values in _rows(connection, rows, fields):
                copy.write_row(values)
        if connection.queries_logged:  # counted like every other query
            connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})
    return [row[pk.attname] for row in rows]


def _insert(connection, meta, rows: Sequence[dict[str, Any]], *, ignore_conflicts: bool) -> list[Any] | None:
    pk = meta.pk
    given = rows[0].get(pk.attname) is not None
    fields = [f for f in meta.concrete_fields if not f.primary_key or given]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    returning = connection.features.can_return_rows_from_bulk_insert and not given and not ignore_conflicts
    per_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    size = max(1, _max_params(connection) // len(fields))
    ids: list[Any] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            params = [value for values in _rows(connection, batch, fields) for value in values]
            # Only quoted names of the model's own table and columns go into the text.
            placeholders = ", ".join([per_row] * len(batch))
            sql = f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) VALUES {placeholders}"  # noqa: S608
            if ignore_conflicts:
                sql += " ON CONFLICT DO NOTHING"
            if returning:
                sql += f" RETURNING {connection.ops.quote_name(pk.column)}"
            cursor.execute(sql, params)
            if returning:
                ids.extend(pk_value for (pk_value,) in cursor.fetchall())
    if given:
        return [row[pk.attname] for row in rows]
    return ids if returning else None


def update(objs: Sequence[Model], fields: Sequence[str]) -> None:
    """Write these fields of stored objects of one model, with one UPDATE … FROM a list
    of values per batch (what `bulk_update` does with a CASE per field and row). Sends no
    model signals and does not touch auto_now dates: set them first."""
    if not objs:
        return
    meta = type(objs[0])._meta
    connection = connections[router.db_for_write(type(objs[0]))]
    pk = meta.pk
    changed = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    names = ", ".join(["_pk", *(quote(f.column) for f in changed)])
    if connection.vendor == "postgresql":
        setters = ", ".join(
            f"{quote(f.column)} = CAST(v.{quote(f.column)} AS {f.db_type(connection)})" for f in changed
        )
    else:
        setters = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in changed)
    per_row = "(" + ", ".join(["%s"] * (len(changed) + 1)) + ")"
    size = max(1, _max_params(connection) // (len(changed) + 1))
    table = quote(meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(objs), size):
            batch = objs[start : start + size]
            params = [
                value
                for values in _rows(connection, [obj.__dict__ for obj in batch], [pk, *changed])
                for value in values
            ]
            rows = ", ".join([per_row] * len(batch))
            # Only quoted names of the model's own table and columns go into the text.
            cursor.execute(
                f"WITH v ({names}) AS (VALUES {rows}) "  # noqa: S608
                f"UPDATE {table} SET {setters} FROM v WHERE {table}.{quote(pk.column)} = v._pk",
                params,
            )


def _max_params(connection) -> int:
    if connection.vendor == "postgresql":
        return POSTGRES_MAX_PARAMS
    if connection.vendor == "sqlite":
        import sqlite3

        return SQLITE_MAX_PARAMS if sqlite3.sqlite_version_info >= (3, 32) else 999
    return connection.features.max_query_params or 999


def _preparer(field: Field, connection) -> Callable[[Any], Any] | None:
    if type(field) in _AS_IS or (type(field) is models.DateTimeField and connection.vendor == "postgresql"):
        return None
    if type(field) is models.DateTimeField:
        return connection.ops.adapt_datetimefield_value
    if type(field) is models.JSONField:
        return lambda value: None if value is None else connection.ops.adapt_json_value(value, field.encoder)
    return lambda value: field.get_db_prep_save(value, connection)
