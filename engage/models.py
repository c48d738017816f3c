from django.db import models


class Heartbeat(models.Model):
    """When a process of one kind last said it was alive (engage.heartbeat)."""

    kind = models.CharField(max_length=30, primary_key=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.kind}: {self.beat_at}"


class ProcessHeartbeat(models.Model):
    """One task cluster or dispatcher that is alive, or was (engage.heartbeat): it beats
    every second; the claims of one silent for ENGAGE_PROCESS_STALE_SECONDS are given back
    (engage.recovery) and its row is deleted. A process that stops cleanly deletes its own."""

    name = models.CharField(max_length=120, primary_key=True)
    kind = models.CharField(max_length=30)
    host = models.CharField(max_length=100)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
