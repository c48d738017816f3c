"""anymail's webhook signals, adapted into our services (connected in apps.ready)."""

from __future__ import annotations

from anymail.signals import inbound, tracking
from django.dispatch import receiver


@receiver(tracking, dispatch_uid="engage.notifications.tracking")
def on_tracking(sender, event, esp_name: str, **kwargs) -> None:
    from notifications.tracking import process_anymail_event

    process_anymail_event(event, esp_name)


@receiver(inbound, dispatch_uid="engage.notifications.inbound")
def on_inbound(sender, event, esp_name: str, **kwargs) -> None:
    from notifications.inbound import receive_reply

    receive_reply(event, esp_name)
