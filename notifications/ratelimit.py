"""The per-organization sending rate limits, in two tiers as at Genesys Cloud:
transactional mail (default 600 mails a minute) and campaign mail (marketing mail, which
carries List-Unsubscribe; default 3,000 a minute), each with a bucket of its own, so
that a campaign never holds up a password mail and the other way round.

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
        quota.campaign_tokens = float(quota.campaign_mails_per_minute)
        quota.campaign_updated_at = quota.updated_at
    quota.save()
    return quota


def _bucket(campaign: bool) -> tuple[str, str, str]:
    """The columns of a tier's bucket: limit, tokens, last refill."""
    if campaign:
        return "campaign_mails_per_minute", "campaign_tokens", "campaign_updated_at"
    return "mails_per_minute", "tokens", "updated_at"


def acquire(organization: Organization, wanted: int, *, campaign: bool = False) -> int:
    """Take up to `wanted` tokens from the organization's bucket of the tier; returns how many."""
    limit_field, tokens_field, updated_field = _bucket(campaign)
    with transaction.atomic():
        now = timezone.now()
        quota, _ = SendQuota.objects.select_for_update().get_or_create(
            organization=organization,
            defaults={
                "mails_per_minute": settings.ENGAGE_MAILS_PER_MINUTE,
                "tokens": float(settings.ENGAGE_MAILS_PER_MINUTE),
                "updated_at": now,
                "campaign_mails_per_minute": settings.ENGAGE_CAMPAIGN_MAILS_PER_MINUTE,
                "campaign_tokens": float(settings.ENGAGE_CAMPAIGN_MAILS_PER_MINUTE),
                "campaign_updated_at": now,
            },
        )
        limit = getattr(quota, limit_field)
        updated_at = getattr(quota, updated_field)
        # A bucket never drawn from (a limit set before campaign mail had its own) is full.
        tokens = getattr(quota, tokens_field) if updated_at is not None else float(limit)
        elapsed = max((now - updated_at).total_seconds(), 0.0) if updated_at is not None else 0.0
        available = min(float(limit), tokens + elapsed * limit / 60)
        granted = min(int(available), wanted)
        setattr(quota, tokens_field, available - granted)
        setattr(quota, updated_field, now)
        quota.save(update_fields=[tokens_field, updated_field])
    return granted


def wait_for(organization: Organization, count: int, *, campaign: bool = False) -> timedelta:
    """Roughly how long until `count` more tokens of the tier have been refilled."""
    limit_field, tokens_field, _ = _bucket(campaign)
    quota = SendQuota.objects.get(organization=organization)
    per_second = max(getattr(quota, limit_field) / 60, 1e-6)
    return timedelta(seconds=max(count - getattr(quota, tokens_field), 1) / per_second)
