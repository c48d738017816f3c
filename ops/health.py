"""Readiness (/readyz): can this installation do its work right now?

Each check answers "ok" or why not; none raises, so a load balancer always gets an answer.
"""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django_q.brokers import get_broker

from engage import heartbeat


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _cache() -> str:
    key, value = "readyz", uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    return "ok" if cache.get(key) == value else "wrote a value and read another back"


def _broker() -> str:
    return "ok" if get_broker().ping() else "no answer"


def _beats() -> dict[str, str]:
    now = timezone.now()
    answers = {}
    for kind, at in heartbeat.last_beats().items():
        if at is None:
            answers[kind] = "no heartbeat"
        elif heartbeat.is_fresh(at):
            answers[kind] = "ok"
        else:
            answers[kind] = f"last heartbeat {int((now - at).total_seconds())} s ago"
    return answers


def readiness() -> dict[str, str]:
    """{"database": "ok", "cache": "ok", "broker": "ok", "dispatcher": "ok", "workers": "ok"}."""
    answers = {}
    for name, check in (("database", _database), ("cache", _cache), ("broker", _broker)):
        try:
            answers[name] = check()
        except Exception as exc:  # any failure is an answer, not a 500
            answers[name] = f"unreachable: {type(exc).__name__}: {exc}"[:200]
    if answers["database"] != "ok":
        return {**answers, heartbeat.DISPATCHER: "unknown", heartbeat.WORKERS: "unknown"}
    try:
        answers.update(_beats())
    except Exception as exc:
        answers.update(dict.fromkeys((heartbeat.DISPATCHER, heartbeat.WORKERS), f"unknown: {type(exc).__name__}"))
    return answers
