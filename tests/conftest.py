"""Shared fixtures. Three people, as in every tenant test:

- alice: admin of Alice's organization,
- bob: marketer in Alice's organization,
- charlie: admin of another organization, who must never see Alice's data.
"""

from __future__ import annotations

import email
import email.policy
import os
import socket
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from tests.factories import OrganizationFactory, UserFactory

REQUIRE_SERVICES = os.environ.get("ENGAGE_REQUIRE_SERVICES", "").lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config, items) -> None:
    """Tests marked `postgres` or `redis` run only where that service is configured. In CI
    (ENGAGE_REQUIRE_SERVICES=true) a missing service is a failure, never a silent skip."""
    from django.conf import settings

    have = {"postgres": connection.vendor == "postgresql", "redis": bool(settings.REDIS_URL)}
    for item in items:
        for name, available in have.items():
            if item.get_closest_marker(name) and not available:
                if REQUIRE_SERVICES:
                    raise pytest.UsageError(f"{item.nodeid} needs {name}, which is not configured")
                item.add_marker(pytest.mark.skip(reason=f"needs {name}; set the URL to run it (CI does)"))


@pytest.fixture(autouse=True)
def _tasks_run_inline(monkeypatch):
    """django-q2 tasks run inline unless a test asks for the real broker."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)


@pytest.fixture(autouse=True)
def _empty_cache(settings):
    """Every test starts with an empty cache. The database cache is rolled back with each
    test's database; Redis keeps its keys between tests and runs, so it is emptied."""
    if settings.REDIS_URL:
        from django.core.cache import cache

        cache.clear()


@pytest.fixture(autouse=True)
def _smtp_connections_closed():
    """SMTP connections a sender keeps open between batches do not outlive their test."""
    from notifications import smtppool

    yield
    smtppool.close_all()


@pytest.fixture
def counted_in_database(monkeypatch):
    """The API's rate counts in database rows, also where Redis is configured (there the
    counts go to Redis' atomic INCR, which has tests of its own)."""
    from api import ratecount

    monkeypatch.setattr(ratecount, "_counts_in_cache", lambda: False)


@pytest.fixture
def alice_org(db):
    return OrganizationFactory(name="Alice Org", slug="alice")


@pytest.fixture
def charlie_org(db):
    return OrganizationFactory(name="Charlie Org", slug="charlie")


@pytest.fixture
def alice(alice_org):
    return UserFactory(username="alice", organization=alice_org, role="admin")


@pytest.fixture
def bob(alice_org):
    return UserFactory(username="bob", organization=alice_org, role="marketer")


@pytest.fixture
def charlie(charlie_org):
    return UserFactory(username="charlie", organization=charlie_org, role="admin")


@pytest.fixture
def host_admin(db):
    return UserFactory(username="root", organization=None, is_superuser=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Inbox:
    """Everything a real SMTP server on loopback received, and how to make it fail."""

    messages: list = field(default_factory=list)
    # Reply codes for the next DATA commands, e.g. ["451 4.3.0 Try later"]; then 250 again.
    replies: list[str] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        if self.replies:
            return self.replies.pop(0)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 2.0.0 Accepted"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on a free loopback port; Django sends to it."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield inbox
    controller.stop()


@pytest.fixture
def no_smtp_server(settings):
    """A loopback port where nothing listens."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    return port


def inline_management_forms() -> dict:
    """The management forms of the contact page's inlines, empty."""
    data = {}
    for prefix in ("memberships", "transactions"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data
