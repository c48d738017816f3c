"""Signed links for contacts who are not logged in.

- A *confirmation* token names one pending membership and expires after
  CONFIRMATION_MAX_AGE; confirming twice does nothing more.
- An *unsubscribe* token names a contact and optionally one group. It does not expire
  (a link in a mail from last year must still work) and only ever unsubscribes, so a
  leaked link can do no more than its owner's unsubscribe button. Changing SECRET_KEY
  invalidates all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing

CONFIRMATION_SALT = "engage.contacts.confirm-subscription"
UNSUBSCRIBE_SALT = "engage.contacts.unsubscribe"
CONFIRMATION_MAX_AGE = timedelta(days=7)


class InvalidToken(Exception):
    pass


def make_confirmation_token(membership_id: int) -> str:
    return signing.dumps({"m": membership_id}, salt=CONFIRMATION_SALT)


def read_confirmation_token(token: str) -> int:
    try:
        return int(signing.loads(token, salt=CONFIRMATION_SALT, max_age=CONFIRMATION_MAX_AGE)["m"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise InvalidToken(str(exc)) from exc


@dataclass(frozen=True)
class UnsubscribeTarget:
    contact_id: int
    group_id: int | None


def make_unsubscribe_token(contact_id: int, group_id: int | None = None) -> str:
    return signing.dumps({"c": contact_id, "g": group_id}, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> UnsubscribeTarget:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        return UnsubscribeTarget(int(data["c"]), int(data["g"]) if data.get("g") is not None else None)
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise InvalidToken(str(exc)) from exc
