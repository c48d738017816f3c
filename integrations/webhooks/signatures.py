"""Standard Webhooks (https://www.standardwebhooks.com): verifying a signed notification.

The sender signs "<webhook-id>.<webhook-timestamp>.<body>" with HMAC-SHA256 and sends
`webhook-signature: v1,<base64>` (several, space-separated, while it rotates secrets).
Any secret of the endpoint may match. Timestamps more than 5 minutes away from now are
refused, so a captured request cannot be replayed later; within those minutes the stored
webhook-id makes a replay a harmless duplicate.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class InvalidSignature(Exception):
    pass


def verify(body: bytes, headers: Mapping[str, str], secrets: list[str]) -> str:
    """Return the webhook-id if a signature matches one of `secrets`, else raise InvalidSignature."""
    headers = {name.lower(): value for name, value in headers.items()}
    if not all(headers.get(name) for name in ("webhook-id", "webhook-timestamp", "webhook-signature")):
        raise InvalidSignature("Missing webhook-id, webhook-timestamp or webhook-signature header.")
    if not secrets:
        raise InvalidSignature("The endpoint has no signing secret yet.")
    try:
        text = body.decode()
    except UnicodeDecodeError as exc:
        raise InvalidSignature("The body is not UTF-8.") from exc
    # The library parses every signature; keep only well-formed ones, so that a malformed
    # one among them cannot turn into an error.
    headers["webhook-signature"] = " ".join(s for s in headers["webhook-signature"].split() if _well_formed(s))
    if not headers["webhook-signature"]:
        raise InvalidSignature("No well-formed v1,<base64> signature in webhook-signature.")
    for secret in secrets:
        try:
            Webhook(secret).verify(text, headers, json_parse=False)
        except WebhookVerificationError as exc:
            if str(exc) != "No matching signature found":  # the timestamp is too old, too new or no number
                raise InvalidSignature(f"{exc}: webhook-timestamp must be Unix seconds within 5 minutes.") from exc
            continue
        except (binascii.Error, ValueError):
            continue  # a stored secret that is not base64 matches nothing
        return headers["webhook-id"]
    raise InvalidSignature("No signature matches a secret of this endpoint.")


def _well_formed(signature: str) -> bool:
    version, _, value = signature.partition(",")
    if version != "v1" or not value:
        return False
    try:
        binascii.a2b_base64(value.encode())
    except (binascii.Error, ValueError):
        return False
    return True
