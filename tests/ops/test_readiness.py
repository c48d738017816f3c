"""/readyz tells a load balancer whether work is being done: the database, cache and broker
answer, and the dispatcher and the task cluster beat within the last minute."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.signing import SignedPackage
from django_q.status import Stat, Status

from engage import heartbeat
from engage.models import Heartbeat


def cluster_beats(stopped: bool = False) -> None:
    """What a running task cluster's sentinel saves every half second."""
    status = Status(pid=1, cluster_id=uuid.uuid4())
    status.status = Conf.STOPPED if stopped else Conf.IDLE
    get_broker().set_stat(Stat.get_key(status.cluster_id), SignedPackage.dumps(status, True), 3)


@pytest.fixture
def everything_beats(db):
    heartbeat.beat(heartbeat.DISPATCHER)
    cluster_beats()


def test_ready_when_every_service_answers_and_every_process_beats(client, everything_beats):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "ready": True,
        "checks": {"database": "ok", "cache": "ok", "broker": "ok", "dispatcher": "ok", "workers": "ok"},
    }


def test_unready_when_the_dispatcher_heartbeat_is_stale_and_ready_again_when_it_beats(client, everything_beats):
    Heartbeat.objects.filter(kind=heartbeat.DISPATCHER).update(beat_at=timezone.now() - timedelta(seconds=75))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["dispatcher"] == "last heartbeat 75 s ago"
    heartbeat.beat(heartbeat.DISPATCHER)
    assert client.get("/readyz").status_code == 200


def test_unready_without_any_dispatcher(client, db):
    cluster_beats()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["dispatcher"] == "no heartbeat"


def test_unready_when_no_task_cluster_is_running(client, db):
    heartbeat.beat(heartbeat.DISPATCHER)
    cluster_beats(stopped=True)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["workers"] == "no heartbeat"


def test_an_unreachable_cache_is_a_503_that_says_so(client, everything_beats, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionError("connection refused")

    monkeypatch.setattr("ops.health.cache.set", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "unreachable: ConnectionError: connection refused"


@pytest.mark.django_db(transaction=True)  # the dispatcher's thread writes on a connection of its own
def test_the_dispatcher_loop_beats_until_it_is_stopped():
    from automations.dispatcher import run_forever

    with time_machine.travel(timezone.now() - timedelta(minutes=5), tick=False):
        heartbeat.beat(heartbeat.DISPATCHER)
    assert not heartbeat.is_fresh(Heartbeat.objects.get(kind=heartbeat.DISPATCHER).beat_at)
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(stop,), kwargs={"interval": 0.05})
    thread.start()
    try:
        for _ in range(200):
            if heartbeat.is_fresh(Heartbeat.objects.get(kind=heartbeat.DISPATCHER).beat_at):
                break
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert heartbeat.is_fresh(Heartbeat.objects.get(kind=heartbeat.DISPATCHER).beat_at)
