"""The task the dispatcher starts for a connection with due sync work."""

from __future__ import annotations

from integrations.activecampaign import services


def work(connection_id: int) -> int:
    return services.work(connection_id=connection_id)
