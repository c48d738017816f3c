"""The real thing: a django-q2 cluster and a dispatcher in their own processes, talking to
the configured broker (the ORM broker, or Redis in CI) and a real SMTP server."""

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from automations.models import Run
from contacts import services
from tests.factories import AutomationFactory, OrganizationFactory


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def start_process(smtp_server):
    processes: list[subprocess.Popen] = []
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "engage.settings",
        "DEBUG": "true",
        "DATABASE_URL": database_url(),
        "EMAIL_URL": f"smtp://127.0.0.1:{settings.EMAIL_PORT}",
        "Q_WORKERS": "1",
    }

    def start(*command: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "manage.py", *command],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def real_broker(monkeypatch):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)


@pytest.mark.django_db(transaction=True)
def test_cluster_and_dispatcher_deliver_immediate_and_delayed_runs(start_process, smtp_server, real_broker):
    organization = OrganizationFactory()
    AutomationFactory(organization=organization, name="now")
    AutomationFactory(organization=organization, name="later", delay_unit="minutes", delay_value=1)
    start_process("qcluster")
    start_process("dispatcher", "--interval", "0.1")

    contact = services.create_contact(organization=organization, email="both@example.com")
    immediate = Run.objects.get(contact=contact, automation__name="now")
    delayed = Run.objects.get(contact=contact, automation__name="later")
    # Make the delayed run due in two seconds instead of a minute.
    due_at = timezone.now() + timedelta(seconds=2)
    Run.objects.filter(pk=delayed.pk).update(due_at=due_at)

    assert wait_for(lambda: Run.objects.get(pk=immediate.pk).status == Run.Status.SUCCEEDED), Run.objects.get(
        pk=immediate.pk
    ).__dict__
    assert wait_for(lambda: Run.objects.get(pk=delayed.pk).status == Run.Status.SUCCEEDED), Run.objects.get(
        pk=delayed.pk
    ).__dict__
    delayed.refresh_from_db()
    assert delayed.started_at >= due_at  # not before it was due
    assert wait_for(lambda: len(smtp_server.messages) == 2, timeout=5)
    assert {m["To"] for m in smtp_server.messages} == {"both@example.com"}


@pytest.mark.redis
def test_redis_is_broker_and_cache_when_configured():
    from django.core.cache import cache
    from django_q.brokers import get_broker

    broker = get_broker()
    assert type(broker).__name__ == "Redis"
    assert broker.ping()
    cache.set("engage-test", "shared", 5)
    assert cache.get("engage-test") == "shared"


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_is_the_database_when_configured():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SHOW transaction_isolation")
        assert cursor.fetchone()[0] == "read committed"
