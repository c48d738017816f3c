"""Every answer under /api/ is counted by status, for /metrics, across processes."""

from __future__ import annotations

from api import requestcount
from tests.ops.test_metrics import scrape


def test_api_requests_are_counted_by_status(client, alice_api, monkeypatch):
    monkeypatch.setattr(requestcount, "FLUSH_SECONDS", 0)
    alice_api.get("/api/v1/contacts")
    alice_api.get("/api/v1/contacts/999999")
    figures = scrape(client)
    assert figures[("engage_api_requests_total", (("status", "200"),))] >= 1
    assert figures[("engage_api_requests_total", (("status", "404"),))] >= 1
