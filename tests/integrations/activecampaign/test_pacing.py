"""Pacing: one bucket per ActiveCampaign account, 5 requests a second, shared by every
worker process. Two real processes call the loopback ActiveCampaign as fast as the bucket
lets them; the server's clock says how fast the calls arrived."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

from integrations.activecampaign import pacing
from tests.integrations.activecampaign.loopback import TOKEN, Server
from tests.reliability.test_worker_processes import database_url

PER_PROCESS = 12
CALLER = """
import requests
from integrations.activecampaign import pacing
for _ in range({count}):
    pacing.take({account!r})
    requests.get({url!r} + "/api/3/users/me", headers={{"Api-Token": {token!r}}}, timeout=10)
"""


def most_in_any_second(times: list[float]) -> int:
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_share_the_accounts_5_per_second():
    with Server() as server:
        code = CALLER.format(count=PER_PROCESS, account=pacing.account_of(server.url), url=server.url, token=TOKEN)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "engage.settings", "DEBUG": "true",
               "DATABASE_URL": database_url(), "ENGAGE_ACTIVECAMPAIGN_REQUESTS_PER_SECOND": "5"}  # fmt: skip
        workers = [
            subprocess.Popen([sys.executable, "manage.py", "shell", "-c", code], cwd=settings.BASE_DIR, env=env)
            for _ in range(2)
        ]
        for worker in workers:
            assert worker.wait(timeout=120) == 0
        times = sorted(r["at"] for r in server.state.received)
    assert len(times) == 2 * PER_PROCESS
    achieved = (len(times) - 1) / (times[-1] - times[0])
    print(f"achieved {achieved:.2f} requests/s across two processes")
    assert achieved <= 5.0 * 1.1
    assert most_in_any_second(times) <= 5 + 1  # one of tolerance for arrival jitter


def test_a_429_blocks_the_account_for_everyone(db):
    pacing.block("example.api-us1.com", 30)
    assert pacing.try_take("example.api-us1.com") > 25
    assert pacing.try_take("other.api-us1.com") == 0


def test_the_bucket_grants_no_burst(db, settings):
    settings.ENGAGE_ACTIVECAMPAIGN_REQUESTS_PER_SECOND = 5.0
    assert pacing.try_take("example.api-us1.com") == 0
    assert 0 < pacing.try_take("example.api-us1.com") <= 0.25
