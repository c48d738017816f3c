"""The personal token of an invitation link (job "distribute invitation").

The link a contact receives is the automation's URL template with `engage_token=<token>`
appended. The token is signed with SECRET_KEY (django.core.signing, its own salt) and names
the organization, the contact and the automation, so a survey or landing page that sends
it back (e.g. in a webhook's payload) tells Engage exactly who answered, and nobody can
forge or alter it. It does not expire; changing SECRET_KEY invalidates every token.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.core import signing

SALT = "engage.integrations.invitation"
PARAMETER = "engage_token"


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class Invitation:
    organization_id: int
    contact_id: int
    automation_id: int


def make_invitation_token(*, organization_id: int, contact_id: int, automation_id: int) -> str:
    return signing.dumps({"o": organization_id, "c": contact_id, "a": automation_id}, salt=SALT, compress=True)


def read_invitation_token(token: str) -> Invitation:
    try:
        data = signing.loads(token, salt=SALT)
        return Invitation(int(data["o"]), int(data["c"]), int(data["a"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise InvalidToken("Not a valid invitation token.") from exc


def personal_link(url: str, token: str) -> str:
    """`url` with engage_token=<token> added to its query (replacing one already there)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != PARAMETER]
    query.append((PARAMETER, token))
    return urlunsplit(parts._replace(query=urlencode(query)))
