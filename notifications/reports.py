"""What became of a group sendout: counts, progress, clicks per link, failures, and the
per-recipient rows for export. Reads only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import models
from django.db.models.functions import Lower, TruncHour
from django.utils import timezone

from contacts.models import Suppression
from notifications import sendout_ab
from notifications.models import OutboundMessage, Sendout, SendoutRecipient, TrackingEvent
from notifications.report_chart import Chart, HourCount, chart_of

Status = OutboundMessage.Status
ACCEPTED = [Status.SENT, Status.DELIVERED, Status.OPENED, Status.CLICKED, Status.BOUNCED, Status.COMPLAINED]


@dataclass
class SendoutReport:
    sendout: Sendout

    def _messages(self) -> models.QuerySet[OutboundMessage]:
        return OutboundMessage.objects.filter(sendout_recipient__sendout=self.sendout)

    def _events(self) -> models.QuerySet[TrackingEvent]:
        return TrackingEvent.objects.filter(message__sendout_recipient__sendout=self.sendout)

    def counts(self) -> dict[str, int]:
        rows = dict(
            SendoutRecipient.objects.filter(sendout=self.sendout)
            .values_list("status")
            .annotate(n=models.Count("pk"))
            .values_list("status", "n")
        )
        mails = dict(self._messages().values_list("status").annotate(n=models.Count("pk")).values_list("status", "n"))
        events = dict(
            self._events()
            .values_list("event_type")
            .annotate(n=models.Count("message_id", distinct=True))
            .values_list("event_type", "n")
        )
        return {
            "recipients": self.sendout.recipient_count,
            "waiting": rows.get(SendoutRecipient.Status.PENDING, 0)
            + mails.get(Status.QUEUED, 0)
            + mails.get(Status.SENDING, 0),
            "sent": sum(mails.get(status, 0) for status in ACCEPTED),
            "delivered": events.get("delivered", 0),
            "bounced_hard": events.get("bounced", 0),
            "bounced_soft": events.get("deferred", 0),
            "opened": events.get("opened", 0),
            "clicked": events.get("clicked", 0),
            "unsubscribed": self.unsubscribed(),
            "complained": events.get("complained", 0),
            "failed": mails.get(Status.FAILED, 0),
            "suppressed": rows.get(SendoutRecipient.Status.SUPPRESSED, 0) + mails.get(Status.SUPPRESSED, 0),
            "skipped": rows.get(SendoutRecipient.Status.SKIPPED, 0),
            "cancelled": rows.get(SendoutRecipient.Status.CANCELLED, 0),
        }

    def unsubscribed(self) -> int:
        """Recipients who unsubscribed since the sendout started."""
        if self.sendout.started_at is None:
            return 0
        emails = SendoutRecipient.objects.filter(sendout=self.sendout).annotate(e=Lower("contact__email")).values("e")
        return Suppression.objects.filter(
            organization_id=self.sendout.organization_id,
            reason=Suppression.Reason.UNSUBSCRIBE,
            created_at__gte=self.sendout.started_at,
            address__in=emails,
        ).count()

    def clicks_per_link(self) -> list[tuple[str, int]]:
        return list(
            self._events()
            .filter(event_type="clicked")
            .values_list("url")
            .annotate(n=models.Count("message_id", distinct=True))
            .order_by("-n", "url")
            .values_list("url", "n")
        )

    def failures(self) -> list[tuple[str, int]]:
        return list(
            self._messages()
            .filter(status=Status.FAILED)
            .values_list("error")
            .annotate(n=models.Count("pk"))
            .order_by("-n")
            .values_list("error", "n")[:20]
        )

    def hours(self) -> list[HourCount]:
        """Opens and clicks per hour (in the current time zone), the hours with any."""
        rows = (
            self._events()
            .filter(event_type__in=["opened", "clicked"])
            .annotate(hour=TruncHour("occurred_at"))
            .values_list("hour", "event_type")
            .annotate(n=models.Count("pk"))
            .order_by("hour")
        )
        counts: dict[datetime, dict[str, int]] = {}
        for hour, kind, n in rows:
            counts.setdefault(hour, {"opened": 0, "clicked": 0})[kind] = n
        return [HourCount(hour=hour, **n) for hour, n in counts.items()]

    def timeline(self) -> list[dict[str, Any]]:
        """Opens and clicks per hour."""
        return [{"hour": h.hour.isoformat(), "opened": h.opened, "clicked": h.clicked} for h in self.hours()]

    def chart(self) -> Chart | None:
        return chart_of(self.hours())

    def progress(self, counts: dict[str, int] | None = None) -> dict[str, Any]:
        """Share done, mails per second so far, and when the rest is expected to have left."""
        counts = counts or self.counts()
        total = counts["recipients"]
        done = total - counts["waiting"]
        started = self.sendout.started_at
        rate, expected_end = 0.0, None
        if started is not None and done > 0:
            end = self.sendout.finished_at or timezone.now()
            elapsed = max((end - started).total_seconds(), 0.001)
            rate = done / elapsed
            if counts["waiting"] and self.sendout.status == Sendout.Status.SENDING:
                expected_end = (timezone.now() + timedelta(seconds=counts["waiting"] / rate)).isoformat()
        return {
            "status": self.sendout.status,
            "status_label": str(self.sendout.get_status_display()),
            "done": done,
            "total": total,
            "percent": round(100 * done / total, 1) if total else (100.0 if self.sendout.finished_at else 0.0),
            "per_second": round(rate, 1),
            "expected_end": expected_end,
        }

    def as_dict(self) -> dict[str, Any]:
        counts = self.counts()
        return {
            "id": self.sendout.pk,
            "name": self.sendout.name,
            "counts": counts,
            "progress": self.progress(counts),
            "clicks_per_link": [{"url": url, "clicks": n} for url, n in self.clicks_per_link()],
            "failures": [{"reason": reason, "count": n} for reason, n in self.failures()],
            "timeline": self.timeline(),
            "ab_test": sendout_ab.summary(self.sendout),
        }

    def rows(self) -> Iterator[list[str]]:
        """One line per recipient, for the CSV export, read in chunks."""
        yield ["email", "first_name", "last_name", "recipient_status", "mail_status", "sent_at", "error", "variant"]
        recipients = (
            SendoutRecipient.objects.filter(sendout=self.sendout).select_related("contact", "message").order_by("pk")
        )
        for row in recipients.iterator(chunk_size=2000):
            mail = row.message
            yield [
                row.contact.email,
                row.contact.first_name,
                row.contact.last_name,
                row.status,
                mail.status if mail else "",
                mail.sent_at.isoformat() if mail and mail.sent_at else "",
                mail.error if mail else "",
                row.variant,
            ]


def sendout_report(sendout: Sendout) -> SendoutReport:
    return SendoutReport(sendout)
