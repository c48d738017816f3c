"""/metrics: Prometheus figures read from the database at each scrape, for whoever holds
the token (or, without one, for clients on this machine only)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from automations.models import Run
from contacts.models import Organization
from engage.events import record_event
from notifications.services import RenderedMail, send_mail
from tests.factories import AutomationFactory, ContactFactory

MAIL = RenderedMail(subject="Hello", text="Hello", html="<p>Hello</p>", secrets=())


def scrape(client, **headers) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


@pytest.fixture
def organization(db):
    return Organization.objects.create(name="Mailers", slug="mailers")


def test_a_sent_mail_raises_the_sent_count_of_its_organization(client, organization, smtp_server):
    before = scrape(client)
    send_mail(organization=organization, to="a@example.com", mail=MAIL)
    after = scrape(client)
    assert before.get(("engage_mails_sent_total", (("organization", "mailers"),)), 0) == 0
    assert after[("engage_mails_sent_total", (("organization", "mailers"),))] == 1
    assert (
        after[("engage_outbox_messages", (("status", "sent"),))]
        == before[("engage_outbox_messages", (("status", "sent"),))] + 1
    )


def test_dispatcher_lag_is_the_age_of_the_oldest_due_run_not_yet_claimed(client, organization):
    assert scrape(client)[("engage_dispatcher_lag_seconds", ())] == 0
    contact = ContactFactory(organization=organization)
    event, _ = record_event(organization=organization, type="contact_created", contact=contact, source="test")
    Run.objects.create(
        organization=organization,
        automation=AutomationFactory(organization=organization),
        event=event,
        contact=contact,
        target_key=f"contact:{contact.pk}",
        due_at=timezone.now() - timedelta(minutes=2),
    )
    figures = scrape(client)
    assert 119 < figures[("engage_dispatcher_lag_seconds", ())] < 600
    assert figures[("engage_runs", (("status", "scheduled"),))] == 1


def test_without_a_token_only_direct_clients_on_this_machine_may_scrape(client, db):
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    # A proxy on this machine is loopback too: what came through it is refused.
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403


def test_with_a_token_whoever_sends_it_may_scrape(client, db, settings):
    settings.ENGAGE_METRICS_TOKEN = "s3cret-metrics-token"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
