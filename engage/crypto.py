"""Encryption of secrets at rest (SMTP passwords, ESP keys, values a mail must carry once).

ENGAGE_ENCRYPTION_KEYS lists Fernet keys, newest first: data is encrypted with the first
and decrypted with any, so a key is rotated by putting a new one in front, re-encrypting
(`manage.py rotate_encryption_keys`, when stored secrets exist) and later dropping the old
one. Without the setting a key is derived from SECRET_KEY, fine for one laptop.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


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
