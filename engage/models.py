from django.db import models


class Heartbeat(models.Model):
    """When a process of one kind last said it was alive (engage.heartbeat)."""

    kind = models.CharField(max_length=30, primary_key=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.kind}: {self.beat_at}"
