"""How fast the admin's dashboard is computed for an organization with 1,000,000 outbound
messages (and 200,000 runs) on PostgreSQL.

    python bench/dashboard.py [--messages N] [--database-url postgres://…/engage_bench]

Measured: the dashboard as a page view computes it (closed days read from their stored
counts, today counted live), and the hourly recount of the closed days.

The rows are generated once in SQL (generate_series) over the last 60 days, so that about
half of them fall into the dashboard's 30 days, and kept for the next run.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

from common import DEFAULT_PG, median_ms, report, setup_django

TARGET_MS = 300.0
DAYS = 60
AUTOMATIONS = 20
STATUSES = ["sent", "delivered", "opened", "clicked", "failed", "bounced", "suppressed", "queued"]


def seed(organization_id: int, messages: int) -> None:
    from django.db import connection

    from automations.models import Automation, Event, Run
    from notifications.models import OutboundMessage

    if OutboundMessage.objects.filter(organization_id=organization_id).count() == messages:
        return
    print(f"generating {messages:,} outbound messages and {messages // 5:,} runs …", flush=True)
    started = time.perf_counter()
    OutboundMessage.objects.filter(organization_id=organization_id).delete()
    Run.objects.filter(organization_id=organization_id).delete()
    automations = [
        Automation.objects.get_or_create(
            organization_id=organization_id,
            name=f"Bench automation {n}",
            defaults={"event_type": "contact_created", "job_type": "send_password_to_contact", "is_active": False},
        )[0].pk
        for n in range(AUTOMATIONS)
    ]
    event, _ = Event.objects.get_or_create(organization_id=organization_id, type="manual", defaults={"scope": "K"})
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO notifications_outboundmessage (organization_id, from_email, recipient, subject, text_body,
                html_body, status, message_id, provider_message_id, attempts, error, headers, secret_values,
                created_at)
            SELECT %s, 'news@bench.example', 'person' || i || '@example.com', 'Bench', '', '',
                   (%s::text[])[1 + (i::bigint * 7919) %% %s], '', '', 1, '', '{}', '',
                   now() - random() * %s * interval '1 day'
            FROM generate_series(1, %s) AS i
            """,
            [organization_id, STATUSES, len(STATUSES), DAYS, messages],
        )
        cursor.execute(
            """
            INSERT INTO automations_run (organization_id, automation_id, event_id, target_key, status, due_at,
                attempts, input, output, error, created_at)
            SELECT %s, (%s::bigint[])[1 + i %% %s], %s, 'bench:' || i,
                   CASE WHEN i %% 10 = 0 THEN 'failed' WHEN i %% 10 = 1 THEN 'skipped' ELSE 'succeeded' END,
                   now(), 1, '{}', '{}', '', now() - random() * interval '14 days'
            FROM generate_series(1, %s) AS i
            """,
            [organization_id, automations, AUTOMATIONS, event.pk, messages // 5],
        )
    # Index-only scans need the visibility map that VACUUM writes (autovacuum would, later).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE notifications_outboundmessage")
        cursor.execute("VACUUM ANALYZE automations_run")
    print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=DEFAULT_PG)
    args = parser.parse_args()
    setup_django(args.database_url)

    from django.utils import timezone

    from contacts.models import Organization
    from ops.dashboard import MAIL_DAYS, build_dashboard, count_mail_days

    organization, _ = Organization.objects.get_or_create(slug="bench-dashboard", defaults={"name": "Bench"})
    seed(organization.pk, args.messages)
    # The hourly recount of the closed days (and a first page view of the day when it has not run).
    today = timezone.localdate()
    first = today - timedelta(days=MAIL_DAYS - 1)
    recount = median_ms(lambda: count_mail_days(organization, first=first, today=today), repeat=3)
    report(f"dashboard_recount_{args.messages // 1000}k_messages", recount, "ms", "hourly, in a worker", None)
    dashboard = build_dashboard(organization)
    shown = sum(day.total for day in dashboard.days)
    print(f"dashboard counts {shown:,} of {args.messages:,} messages in its 30 days")
    elapsed = median_ms(lambda: build_dashboard(organization))
    report(
        f"dashboard_{args.messages // 1000}k_messages",
        elapsed,
        "ms",
        f"<= {TARGET_MS:.0f} ms",
        elapsed <= TARGET_MS,
    )


if __name__ == "__main__":
    main()
