"""Encryption of secrets at rest (SMTP passwords, ESP keys, values a mail must carry once).

ENGAGE_ENCRYPTION_KEYS lists Fernet keys, newest first: data is encrypted with the first
and decrypted with any, so a key is rotated by putting a new one in front, re-encrypting
(`manage.py rotate_encryption_keys`, when stored secrets exist) and later dropping the old
one. Without the setting a key is derived from SECRET_KEY, fine for one laptop.

Every app declares the columns it encrypts (`register_encrypted`, in its AppConfig.ready());
rotation walks that registry, so a new encrypted column is rotated as soon as it is declared.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models, transaction


class DecryptionError(Exception):
    pass


@cache
def _fernet() -> MultiFernet:
    keys = list(settings.ENGAGE_ENCRYPTION_KEYS)
    if not keys:
        digest = hashlib.sha256(f"engage-encryption:{settings.SECRET_KEY}".encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("The value cannot be decrypted with any configured key.") from exc


def rotate(token: str) -> str:
    return _fernet().rotate(token.encode()).decode()


class EncryptedTextField(models.TextField):
    """A column that holds a value of `encrypt`. It encrypts nothing by itself (the code
    that writes it does, and may decrypt only when the value is used); it marks the column
    so that key rotation cannot miss it: every such column must be registered with
    `register_encrypted` (a test walks every model)."""

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.TextField", args, kwargs  # a plain text column in migrations


@dataclass(frozen=True)
class EncryptedColumns:
    """The encrypted values of one model: whole columns, and (for values kept inside a
    column, e.g. one key of a JSON object) a function that rotates them in a row and
    returns how many it rotated."""

    model: type[models.Model]
    fields: tuple[str, ...] = ()
    rotate_row: Callable[[models.Model], int] | None = None


_encrypted: list[EncryptedColumns] = []


def register_encrypted(
    model: type[models.Model], *fields: str, rotate_row: Callable[[models.Model], int] | None = None
) -> None:
    """Declare a model's encrypted values; called in the owning app's AppConfig.ready()."""
    entry = EncryptedColumns(model, fields, rotate_row)
    if entry not in _encrypted:
        _encrypted.append(entry)


def encrypted_columns() -> tuple[EncryptedColumns, ...]:
    return tuple(_encrypted)


@transaction.atomic
def rotate_stored_secrets() -> int:
    """Re-encrypt every registered value with the first key. Returns how many changed."""
    count = 0
    for entry in _encrypted:
        rows = entry.model._default_manager.select_for_update()
        if entry.fields:
            nothing = models.Q()
            for name in entry.fields:
                nothing &= models.Q(**{name: ""})
            rows = rows.exclude(nothing)
        for row in rows.iterator():
            changed = [name for name in entry.fields if getattr(row, name)]
            for name in changed:
                setattr(row, name, rotate(getattr(row, name)))
            rotated = len(changed) + (entry.rotate_row(row) if entry.rotate_row else 0)
            if changed:
                row.save(update_fields=changed)
            count += rotated
    return count
