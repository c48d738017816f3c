"""Bulk event ingest through the REST API: events per second, 1,000 events per call.

    python bench/api_ingest.py [--calls N] [--database-url postgres://…/engage_bench]

Requests go through the whole Django stack in this process (WSGI handler, bearer key,
rate limit, Idempotency-Key, validation, the bulk event service), without a network hop.
Half the events carry an external_id (deduplication). Measured twice: with no automation
listening (the API and the event store alone), then with one automation listening, so that
every event also schedules a run, as in production.
"""

from __future__ import annotations

import argparse
import json
import time

from common import DEFAULT_PG, report, setup_django

TARGET = 5000.0
PER_CALL = 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--contacts", type=int, default=1000)
    parser.add_argument("--database-url", default=DEFAULT_PG)
    args = parser.parse_args()
    setup_django(args.database_url)

    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from api.credentials import create_api_key
    from automations.models import Automation, Event, Run
    from contacts.models import Contact, Organization

    call_command("createcachetable")  # the rate limit counts in the cache
    settings.ALLOWED_HOSTS = ["*"]
    settings.ENGAGE_API_REQUESTS_PER_MINUTE = 10**9
    organization, _ = Organization.objects.get_or_create(slug="bench-api", defaults={"name": "Bench API"})
    Event.objects.filter(organization=organization).delete()
    have = Contact.objects.filter(organization=organization).count()
    if have < args.contacts:
        Contact.objects.bulk_create(
            Contact(organization=organization, email=f"api{i}@example.com") for i in range(have, args.contacts)
        )
    contact_ids = list(Contact.objects.filter(organization=organization).values_list("pk", flat=True)[: args.contacts])
    # The run it schedules is due in a week, so no worker is needed while measuring.
    Automation.objects.get_or_create(
        organization=organization, name="Bench: order shipped",
        defaults={"event_type": "custom", "event_name": "order_shipped", "job_type": "add_tag",
                  "job_params": {"tag": "shipped"}, "delay_unit": "weeks", "delay_value": 1},
    )  # fmt: skip
    _key, plain = create_api_key(organization=organization, name="bench", scope="write")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
    stamp = time.time_ns()

    def body(call: int, event_name: str) -> str:
        events = []
        for i in range(PER_CALL):
            event = {"type": "custom", "name": event_name, "contact": contact_ids[i % len(contact_ids)],
                     "payload": {"order": f"{call}-{i}", "total": i}}  # fmt: skip
            if i % 2 == 0:
                event["external_id"] = f"{stamp}-{event_name}-{call}-{i}"
            events.append(event)
        return json.dumps({"events": events})

    def measure(name: str, event_name: str) -> None:
        bodies = [body(call, event_name) for call in range(args.calls + 1)]
        warm = client.post("/api/v1/events/bulk", bodies[0], content_type="application/json")
        assert warm.status_code == 200, warm.content[:500]
        started = time.perf_counter()
        for call in range(1, args.calls + 1):
            response = client.post(
                "/api/v1/events/bulk", bodies[call], content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=f"{stamp}-{event_name}-{call}",
            )  # fmt: skip
            assert response.status_code == 200, response.content[:500]
        elapsed = time.perf_counter() - started
        events = args.calls * PER_CALL
        print(f"{name}: {events:,} events in {args.calls} calls of {PER_CALL:,} in {elapsed:.2f} s")
        rate = events / elapsed
        report(name, rate, "events/s", f">= {TARGET:.0f} events/s", rate >= TARGET)

    measure("api_bulk_ingest_events_per_second_no_automation", "nobody_listens")
    measure("api_bulk_ingest_events_per_second", "order_shipped")
    print(f"{Run.objects.filter(organization=organization).count():,} runs scheduled in total")


if __name__ == "__main__":
    main()
