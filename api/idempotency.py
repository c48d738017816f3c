"""`Idempotency-Key` for POST requests.

The first request with a key claims it with a unique insert, committed at once, so that a
concurrent second request sees it and gets 409. The work and the stored response then
commit in one transaction: either both exist or neither does. A request that failed (an
error response or an exception) rolls its work back and gives the key up, so the client
may try again. A claim whose process died mid-way runs out after LEASE and may be
claimed again (its work was rolled back with the dead transaction).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from api.errors import Conflict, IdempotencyMismatch
from api.models import IdempotencyRecord
from contacts.models import Organization

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
LEASE = timedelta(minutes=5)
KEPT_HEADERS = ("Location",)


class _Failed(Exception):
    """Rolls the work back when the handler answered with an error response."""


@dataclass(frozen=True)
class Claim:
    record_id: int
    token: uuid.UUID


def fingerprint(method: str, path: str, data: object) -> str:
    """The same request, whatever the order of its keys or its white space."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), canonical])).hexdigest()


def clean_key(raw: str) -> str:
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise exceptions.ValidationError(
            {HEADER: [_("Use 1 to %(max)d printable characters.") % {"max": MAX_KEY_LENGTH}]}
        )
    return key


def claim_key(*, organization: Organization, key: str, fingerprint: str) -> Claim | Response:
    """Claim the key, or return the stored response to replay; raises 409 or 422."""
    now = timezone.now()
    token = uuid.uuid4()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                organization=organization,
                key=key,
                fingerprint=fingerprint,
                claim_token=token,
                lease_expires_at=now + LEASE,
            )
        return Claim(record.pk, token)
    except IntegrityError:
        pass
    record = IdempotencyRecord.objects.filter(organization=organization, key=key).first()
    if record is None:  # given up between our insert and this read: try once more
        return claim_key(organization=organization, key=key, fingerprint=fingerprint)
    if record.fingerprint != fingerprint:
        raise IdempotencyMismatch()
    if record.status == IdempotencyRecord.Status.DONE:
        headers = {**record.response_headers, REPLAYED: "true"}
        return Response(record.response_body, status=record.response_status, headers=headers)
    # Still running, unless its process died: then its lease has run out and we take over.
    taken = IdempotencyRecord.objects.filter(
        pk=record.pk, status=IdempotencyRecord.Status.RUNNING, lease_expires_at__lt=now
    ).update(claim_token=token, lease_expires_at=now + LEASE)
    if taken:
        return Claim(record.pk, token)
    raise Conflict()


def run_once(*, organization: Organization, key: str, fingerprint: str, work: Callable[[], Response]) -> Response:
    claimed = claim_key(organization=organization, key=key, fingerprint=fingerprint)
    if isinstance(claimed, Response):
        return claimed
    try:
        with transaction.atomic():
            response = work()
            if response.status_code >= 400:
                raise _Failed
            body = json.loads(JSONRenderer().render(response.data) or b"null")
            finished = IdempotencyRecord.objects.filter(
                pk=claimed.record_id, claim_token=claimed.token, status=IdempotencyRecord.Status.RUNNING
            ).update(
                status=IdempotencyRecord.Status.DONE,
                response_status=response.status_code,
                response_body=body,
                response_headers={name: response[name] for name in KEPT_HEADERS if name in response},
                lease_expires_at=None,
            )
            if not finished:
                raise Conflict()  # another request took the key over: ours is rolled back
    except _Failed:
        _give_up(claimed)
        return response
    except BaseException:
        _give_up(claimed)
        raise
    return response


def _give_up(claimed: Claim) -> None:
    IdempotencyRecord.objects.filter(
        pk=claimed.record_id, claim_token=claimed.token, status=IdempotencyRecord.Status.RUNNING
    ).delete()


def purge_idempotency_records() -> int:
    """Delete keys older than ENGAGE_API_IDEMPOTENCY_HOURS (periodic task)."""
    cutoff = timezone.now() - timedelta(hours=settings.ENGAGE_API_IDEMPOTENCY_HOURS)
    deleted, _count = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
