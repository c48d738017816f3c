"""The per-organization sending rate limit (default 600 mails a minute).

Senders ask for as many tokens as they have mails; what is not granted goes back to the
outbox with the time at which the bucket will have refilled enough. Nothing is dropped.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from contacts.models import Organization
from notifications.models import SendQuota


@transaction.atomic
def save_quota(*, quota: SendQuota) -> SendQuota:
    """Store a limit the host set (the admin). A new one starts with a full bucket."""
    if quota._state.adding:
        quota.tokens, quota.updated_at = float(quota.mails_per_minute), timezone.now()
    quota.save()
    return quota


def acquire(organization: Organization, wanted: int) -> int:
    """Take up to `wanted` tokens from the organization's bucket; returns how many."""
    with transaction.atomic():
        now = timezone.now()
        quota, _ = SendQuota.objects.select_for_update().get_or_create(
            organization=organization,
            defaults={
                "mails_per_minute": settings.ENGAGE_MAILS_PER_MINUTE,
                "tokens": float(settings.ENGAGE_MAILS_PER_MINUTE),
                "updated_at": now,
            },
        )
        per_second = quota.mails_per_minute / 60
        elapsed = max((now - quota.updated_at).total_seconds(), 0.0)
        available = min(float(quota.mails_per_minute), quota.tokens + elapsed * per_second)
        granted = min(int(available), wanted)
        quota.tokens = available - granted
        quota.updated_at = now
        quota.save(update_fields=["tokens", "updated_at"])
    return granted


def wait_for(organization: Organization, count: int) -> timedelta:
    """Roughly how long until `count` more tokens have been refilled."""
    quota = SendQuota.objects.get(organization=organization)
    per_second = max(quota.mails_per_minute / 60, 1e-6)
    return timedelta(seconds=max(count - quota.tokens, 1) / per_second)
