"""ActiveCampaign on loopback, a connection to it that keeps the pool in sync, and a
worker that pushes what is due right away (no waiting for the coalescing delay)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from engage import crypto
from integrations.activecampaign import services
from integrations.activecampaign.models import ActiveCampaignConnection
from tests.integrations.activecampaign.loopback import TOKEN, Server


@pytest.fixture
def ac(settings):
    settings.ENGAGE_HTTP_ALLOW_PRIVATE = True  # the loopback ActiveCampaign
    settings.ENGAGE_ACTIVECAMPAIGN_REQUESTS_PER_SECOND = 1000.0  # pacing has tests of its own
    with Server() as server:
        yield server


def connect(org, url: str, **fields) -> ActiveCampaignConnection:
    return ActiveCampaignConnection.objects.create(
        organization=org, api_url=url, api_key_encrypted=crypto.encrypt(TOKEN), **fields
    )


@pytest.fixture
def connection(alice_org, ac):
    return connect(alice_org, ac.url, sync_enabled=True)


def push_due(connection, *, later: float = 5.0) -> int:
    """Run the worker as if `later` seconds had passed (past the coalescing delay)."""
    connection.refresh_from_db()
    done = 0
    with time_machine.travel(timezone.now() + timedelta(seconds=later), tick=True):
        while done < 1000 and services.process_next(connection):
            done += 1
    return done
