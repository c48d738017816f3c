"""Prometheus metrics (/metrics), read from the database at each scrape, so that every
figure is the same whichever process answers and nothing is lost when one restarts."""

from __future__ import annotations

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from api.models import RequestCount
from automations.models import Run
from engage import heartbeat
from integrations.models import InboundNotification, SalesforceNotification
from notifications.models import OutboundMessage, TrackingEvent

Status = OutboundMessage.Status
# A mail in one of these has left: sent, and perhaps reported on since.
SENT = [Status.SENT, Status.DELIVERED, Status.OPENED, Status.CLICKED, Status.BOUNCED, Status.COMPLAINED]


def _counted(rows):
    """(…grouped columns, count) for each group of a values_list() query."""
    return rows.annotate(n=Count("id")).order_by()


class EngageCollector(Collector):
    def collect(self):
        outbox = GaugeMetricFamily("engage_outbox_messages", "Outbound messages by status.", labels=["status"])
        sent = CounterMetricFamily(
            "engage_mails_sent", "Mails sent, by organization (messages kept in the outbox).", labels=["organization"]
        )
        by_org_status = (
            OutboundMessage.objects.values("organization__slug", "status").annotate(n=Count("id")).order_by()
        )
        totals: dict[str, int] = dict.fromkeys(Status.values, 0)
        sent_by_org: dict[str, int] = {}
        for row in by_org_status:
            totals[row["status"]] = totals.get(row["status"], 0) + row["n"]
            if row["status"] in SENT:
                slug = row["organization__slug"]
                sent_by_org[slug] = sent_by_org.get(slug, 0) + row["n"]
        for status, n in sorted(totals.items()):
            outbox.add_metric([status], n)
        for slug, n in sorted(sent_by_org.items()):
            sent.add_metric([slug], n)
        yield outbox
        yield sent

        runs = GaugeMetricFamily("engage_runs", "Automation runs by status.", labels=["status"])
        counts = dict.fromkeys(Run.Status.values, 0)
        counts.update(_counted(Run.objects.values_list("status")))
        for status, n in sorted(counts.items()):
            runs.add_metric([status], n)
        yield runs

        now = timezone.now()
        oldest = Run.objects.filter(status=Run.Status.SCHEDULED, due_at__lte=now).aggregate(at=Min("due_at"))["at"]
        yield GaugeMetricFamily(
            "engage_dispatcher_lag_seconds",
            "Age of the oldest due run not yet claimed (0: none waiting).",
            value=(now - oldest).total_seconds() if oldest else 0.0,
        )

        receipts = CounterMetricFamily(
            "engage_webhook_receipts",
            "Inbound webhook notifications and tracking reports kept.",
            labels=["source", "status"],
        )
        for source, status, n in (
            InboundNotification.objects.values_list("source", "status").annotate(n=Count("id")).order_by()
        ):
            receipts.add_metric([source, status], n)
        for status, n in SalesforceNotification.objects.values_list("status").annotate(n=Count("id")).order_by():
            receipts.add_metric(["salesforce", status], n)
        for esp, event_type, n in (
            TrackingEvent.objects.values_list("esp", "event_type").annotate(n=Count("id")).order_by()
        ):
            receipts.add_metric([f"tracking_{esp}", event_type], n)
        yield receipts

        requests = CounterMetricFamily(
            "engage_api_requests", "API requests answered, by HTTP status.", labels=["status"]
        )
        for status, n in RequestCount.objects.values_list("status", "count").order_by("status"):
            requests.add_metric([str(status)], n)
        yield requests

        ages = GaugeMetricFamily(
            "engage_heartbeat_age_seconds", "Seconds since a process of each kind last beat.", labels=["kind"]
        )
        for kind, at in heartbeat.last_beats().items():
            if at is not None:
                ages.add_metric([kind], (now - at).total_seconds())
        yield ages
