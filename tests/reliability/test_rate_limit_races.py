"""Concurrent API requests over the rate limit: with the database counting (no Redis), no
increment is lost, so exactly the requests past the limit get 429 with Retry-After.

Real threads with their own database connections (the database cache's incr lost most
increments this way)."""

from __future__ import annotations

import time
from collections import Counter

import pytest
import time_machine
from django.utils import timezone

from api.credentials import create_api_key
from api.models import RateCount, Scope
from api.tasks import purge_api_records
from notifications.models import OutboundMessage, SenderDomain, SendQuota
from tests.api.conftest import client_for
from tests.factories import OrganizationFactory
from tests.reliability.test_claims import in_threads

THREADS = 8
PER_THREAD = 5
LIMIT = 23


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_past_the_limit_get_exactly_the_expected_429s(settings, counted_in_database):
    settings.ENGAGE_API_REQUESTS_PER_MINUTE = LIMIT
    organization = OrganizationFactory()
    key = create_api_key(organization=organization, name="Shop", scope=Scope.READ)[1]

    def work():
        api = client_for(key)
        return [api.get("/api/v1/tags") for _ in range(PER_THREAD)]

    with time_machine.travel("2026-11-27 10:00:05Z", tick=False):
        responses = [response for batch in in_threads(THREADS, work) for response in batch]

    codes = Counter(response.status_code for response in responses)
    assert codes == {200: LIMIT, 429: THREADS * PER_THREAD - LIMIT}
    refused = [response for response in responses if response.status_code == 429]
    assert all(response["Retry-After"] == "55" for response in refused)
    assert all(response.json()["type"] == "throttled" for response in refused)
    assert RateCount.objects.get().count == THREADS * PER_THREAD


@pytest.mark.django_db(transaction=True)
def test_concurrent_agentless_mails_past_the_organizations_rate_get_exactly_the_expected_429s(settings):
    organization = OrganizationFactory()
    SenderDomain.objects.create(organization=organization, domain="notify.example.de", verified_at=timezone.now())
    SendQuota.objects.create(organization=organization, mails_per_minute=7, tokens=7, updated_at=timezone.now())
    key = create_api_key(organization=organization, name="Genesys", scope=Scope.WRITE, agentless_email=True)[1]
    body = {
        "fromAddress": {"email": "service@notify.example.de"},
        "toAddresses": [{"email": "jana@example.de"}],
        "subject": "Versandt",
        "textBody": "Unterwegs.",
    }

    def work():
        api = client_for(key)
        return [api.post("/api/v1/conversations/emails/agentless", body, format="json") for _ in range(3)]

    with time_machine.travel("2026-11-27 10:00:20Z", tick=False):
        responses = [response for batch in in_threads(5, work) for response in batch]

    codes = Counter(response.status_code for response in responses)
    assert codes == {202: 7, 429: 8}
    assert all(r["Retry-After"] == "40" for r in responses if r.status_code == 429)
    assert OutboundMessage.objects.count() == 7


@pytest.mark.django_db
def test_counts_of_past_minutes_are_purged_hourly():
    now = int(time.time() // 60)
    for window in (now - 5, now - 2, now - 1, now):
        RateCount.objects.create(key="api-rate:key:1", window=window, count=3)
    purge_api_records()
    assert sorted(RateCount.objects.values_list("window", flat=True)) == [now - 1, now]
