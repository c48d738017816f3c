"""The A/B subject test of a group sendout.

When the test is on, the sendout's recipients are resolved as always; then a sample of
2 × share of them is marked, half *A* (the prepared message's subject, per language) and
half *B* (`Sendout.ab_subject`, which replaces the subject in every language). The order
that picks the sample is a fixed scramble of the recipient row ids, and the marks are
written in one transaction with the moment the winner is due, so a crash or a restart
neither changes the split nor marks it twice. Only the sample is queued; the sendout then
waits under its lease until the wait is over (the dispatcher hands it out again), counts
the unique opens or clicks of each variant from the tracking data (a tie goes to A), and
the rest, whose rows carry no variant, is sent with the winning subject.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.models import AbRule, AbVariant, Sendout, SendoutRecipient, TrackingEvent

SAMPLE = (AbVariant.A, AbVariant.B)
# A multiplicative hash: a fixed, well-spread order of the row ids, the same on every run.
_SCRAMBLE = 2654435761
_MODULUS = 2**32


def errors(*, ab_test: bool, ab_subject: str, ab_share, ab_wait_minutes) -> dict[str, str]:
    """The test's settings that do not fit together, by field (the ranges are the fields' own)."""
    found = {}
    if ab_test and not (ab_subject or "").strip():
        found["ab_subject"] = _("Subject B is required for an A/B subject test.")
    return found


def waiting_for_winner(sendout: Sendout) -> bool:
    return sendout.ab_test and not sendout.ab_winner


def sample_size(recipients: int, share: int) -> int:
    """Recipients per variant: `share` % of them, at least one each if there are two."""
    size = recipients * share // 100
    return size or min(1, recipients // 2)


def split(sendout: Sendout) -> None:
    """Mark the sample once (after resolving) and set when the winner is due."""
    with transaction.atomic():
        fresh = Sendout.objects.select_for_update().get(pk=sendout.pk)
        if fresh.ab_decide_at is None:
            size = sample_size(fresh.recipient_count, fresh.ab_share)
            rows = SendoutRecipient.objects.filter(sendout=sendout)
            order = rows.annotate(scramble=(models.F("pk") * _SCRAMBLE + sendout.pk) % _MODULUS).order_by(
                "scramble", "pk"
            )
            for variant in SAMPLE:
                chosen = order.filter(variant="").values("pk")[:size]
                rows.filter(pk__in=models.Subquery(chosen)).update(variant=variant)
            fresh.ab_decide_at = timezone.now() + timedelta(minutes=fresh.ab_wait_minutes)
            Sendout.objects.filter(pk=sendout.pk).update(ab_decide_at=fresh.ab_decide_at)
    sendout.ab_decide_at = fresh.ab_decide_at


def scores(sendout: Sendout) -> dict[str, int]:
    """Unique opens or clicks (by the sendout's rule) of each sample variant."""
    kind = "clicked" if sendout.ab_rule == AbRule.CLICKS else "opened"
    return _per_variant(sendout, kind)


def _per_variant(sendout: Sendout, kind: str) -> dict[str, int]:
    counted = dict(
        TrackingEvent.objects.filter(
            message__sendout_recipient__sendout=sendout,
            message__sendout_recipient__variant__in=SAMPLE,
            event_type=kind,
        )
        .values_list("message__sendout_recipient__variant")
        .annotate(n=models.Count("message_id", distinct=True))
        .values_list("message__sendout_recipient__variant", "n")
    )
    return {variant: counted.get(variant, 0) for variant in SAMPLE}


def decide(sendout: Sendout, *, now: datetime | None = None) -> bool:
    """Pick the winner if the wait is over; True once there is one. B must beat A."""
    if sendout.ab_winner:
        return True
    now = now or timezone.now()
    if sendout.ab_decide_at is None or now < sendout.ab_decide_at:
        return False
    score = scores(sendout)
    winner = AbVariant.B if score[AbVariant.B] > score[AbVariant.A] else AbVariant.A
    Sendout.objects.filter(pk=sendout.pk, ab_winner="").update(ab_winner=winner)
    sendout.ab_winner = Sendout.objects.values_list("ab_winner", flat=True).get(pk=sendout.pk)
    return True


def subject_for(sendout: Sendout, row: SendoutRecipient) -> str | None:
    """Subject B for the B sample, and for the rest if B won; None: the message's own."""
    if not sendout.ab_test:
        return None
    variant = row.variant or sendout.ab_winner
    return sendout.ab_subject if variant == AbVariant.B else None


def summary(sendout: Sendout) -> dict | None:
    """Both variants with their recipients, opens and clicks, and the winner, for the report."""
    if not sendout.ab_test:
        return None
    recipients = dict(
        SendoutRecipient.objects.filter(sendout=sendout, variant__in=SAMPLE)
        .values_list("variant")
        .annotate(n=models.Count("pk"))
        .values_list("variant", "n")
    )
    opened, clicked = _per_variant(sendout, "opened"), _per_variant(sendout, "clicked")
    first = sendout.message.variants.order_by("pk").values_list("subject", flat=True).first() or ""
    subjects = {AbVariant.A: first, AbVariant.B: sendout.ab_subject}
    return {
        "rule": sendout.ab_rule,
        "share": sendout.ab_share,
        "wait_minutes": sendout.ab_wait_minutes,
        "decide_at": sendout.ab_decide_at.isoformat() if sendout.ab_decide_at else None,
        "winner": sendout.ab_winner or None,
        "variants": [
            {
                "variant": variant,
                "label": str(AbVariant(variant).label),
                "subject": subjects[variant],
                "recipients": recipients.get(variant, 0),
                "opened": opened[variant],
                "clicked": clicked[variant],
                "won": sendout.ab_winner == variant,
            }
            for variant in SAMPLE
        ],
        "rest": SendoutRecipient.objects.filter(sendout=sendout, variant="").count(),
    }
