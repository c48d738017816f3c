"""API fixtures: a write key of Alice's organization (alice), a read key of the same
organization (bob's) and a write key of Charlie's organization, who must get 404s. Alice's
and Charlie's keys may also send agentless e-mail; Bob's may not."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api.credentials import create_api_key
from api.models import Scope


def client_for(plain_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain_key}")
    return client


@pytest.fixture
def alice_key(alice_org):
    return create_api_key(organization=alice_org, name="Shop", scope=Scope.WRITE, agentless_email=True)


@pytest.fixture
def alice_api(alice_key):
    return client_for(alice_key[1])


@pytest.fixture
def bob_api(alice_org):
    return client_for(create_api_key(organization=alice_org, name="Reporting", scope=Scope.READ)[1])


@pytest.fixture
def charlie_api(charlie_org):
    key = create_api_key(organization=charlie_org, name="Charlie", scope=Scope.WRITE, agentless_email=True)
    return client_for(key[1])


@pytest.fixture(autouse=True)
def _fresh_rate_limits(db):
    """Rate-limit counts live in the cache, which outlives a test: start each test at zero."""
    from django.core.cache import cache

    cache.clear()
