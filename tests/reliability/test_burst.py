"""The integrator's burst against a real server process, as `make serve` runs it: gunicorn
(deploy/gunicorn.conf.py, 2 processes × 4 threads, a pool of 4 connections each) on
PostgreSQL + Redis. 601 agentless mails from 16 client threads to one organization that may
send 600: exactly 600 are accepted and 1 refused, nothing answers 5xx, and the server holds
no more PostgreSQL connections than its pools allow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from api.credentials import create_api_key
from notifications.models import OutboundMessage, SenderDomain, SendQuota
from tests.conftest import free_port
from tests.factories import OrganizationFactory
from tests.reliability.test_worker_processes import database_url

GUNICORN = Path(sys.executable).parent / "gunicorn"
PROCESSES, THREADS, POOL = 2, 4, 4
LIMIT, BURST, CLIENTS = 600, 601, 16
URL = "/api/v1/conversations/emails/agentless"


def post(url: str, body: bytes, key: str) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers={  # noqa: S310 (loopback)
        "Authorization": f"Bearer {key}", "Content-Type": "application/json"})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (loopback)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def up(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:  # noqa: S310 (loopback)
            return response.status == 200
    except OSError:
        return False


class ConnectionWatch:
    """The most connections the server's processes held to the test database at once."""

    def __init__(self, application: str) -> None:
        db = connection.settings_dict
        self.args = (db["NAME"], application)
        self.connection = psycopg.connect(
            host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname="postgres",
            autocommit=True,
        )  # fmt: skip
        self.most, self.stop = 0, threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def count(self) -> int:
        sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = %s"
        return self.connection.execute(sql, self.args).fetchone()[0]

    def _watch(self) -> None:
        while not self.stop.wait(0.05):
            self.most = max(self.most, self.count())

    def finish(self) -> int:
        self.stop.set()
        self.thread.join()
        self.most = max(self.most, self.count())
        self.connection.close()
        return self.most


@pytest.fixture
def server(tmp_path):
    """gunicorn on a free loopback port, against the test database and Redis."""
    application = f"engage-burst-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "engage.settings",
        "DEBUG": "false",
        "SECRET_KEY": settings.SECRET_KEY,  # API keys are checked with it
        "STATIC_ROOT": str(tmp_path / "static"),
        "DATABASE_URL": f"{database_url()}?application_name={application}",
        "WEB_CONCURRENCY": str(PROCESSES),
        "WEB_THREADS": str(THREADS),
        "DATABASE_POOL_SIZE": str(POOL),
        "WEB_BIND": f"127.0.0.1:{free_port()}",
    }
    process = subprocess.Popen(
        # The server's own configuration; the application counts the rate limit per day.
        [str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "tests.reliability.burst_wsgi:application"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "server.log").open("w"),
    )  # fmt: skip
    base = f"http://{env['WEB_BIND']}"
    deadline = time.monotonic() + 60
    while not up(base):
        assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "server.log").read_text()
        time.sleep(0.2)
    yield base, application
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_601_agentless_mails_gives_600_accepted_one_refused_and_no_server_error(server):
    base, application = server
    organization = OrganizationFactory()
    SenderDomain.objects.create(organization=organization, domain="burst.example", verified_at=timezone.now())
    SendQuota.objects.create(organization=organization, mails_per_minute=LIMIT, tokens=LIMIT, updated_at=timezone.now())
    key = create_api_key(organization=organization, name="burst", scope="write", agentless_email=True)[1]
    body = json.dumps({
        "fromAddress": {"email": "service@burst.example"}, "toAddresses": [{"email": "reader@example.com"}],
        "subject": "Burst", "textBody": "Hello",
    }).encode()  # fmt: skip
    day = datetime.now(UTC)
    if (day.hour, day.minute) == (23, 59):  # the rate limit's day must not change during the burst
        time.sleep(61 - day.second)

    watch = ConnectionWatch(application)
    with ThreadPoolExecutor(CLIENTS) as pool:
        replies = Counter(pool.map(lambda _: post(f"{base}{URL}", body, key), range(BURST)))
    held = watch.finish()

    assert replies == {202: LIMIT, 429: BURST - LIMIT}, replies
    assert OutboundMessage.objects.filter(organization=organization).count() == LIMIT
    assert 0 < held <= PROCESSES * POOL + 1, held  # +1: a connection the pool is just replacing
