"""The personal data the automations app holds about a contact: the events that happened
to it and the runs that acted on it (see engage.personal_data)."""

from __future__ import annotations

from automations.models import Automation, Event, Run
from engage import personal_data


def register() -> None:
    personal_data.register(
        "events",
        Event,
        fields=("payload",),
        export=lambda contact: [
            {"type": e.type, "payload": e.payload, "source": e.source, "occurred_at": e.occurred_at.isoformat()}
            for e in Event.objects.filter(contact=contact).order_by("occurred_at")
        ],
        erase=lambda contact, email: Event.objects.filter(contact=contact).update(payload={}),
    )
    personal_data.register(
        "runs",
        Run,
        fields=("input", "output", "error"),
        export=lambda contact: [
            {"automation": r.automation.name, "status": r.status, "output": r.output, "error": r.error}
            for r in Run.objects.filter(contact=contact).select_related("automation").order_by("created_at")
        ],
        erase=lambda contact, email: Run.objects.filter(contact=contact).update(input={}, output={}, error=""),
    )
    personal_data.register(
        "automations_naming_the_contact",
        Automation,
        fields=(),
        export=lambda contact: list(Automation.objects.filter(target_contact=contact).values_list("name", flat=True)),
        erase=lambda contact, email: None,  # the automation keeps acting on the (now anonymous) contact
        kept={
            "description": "configuration written by staff",
            "job_params": "configuration written by staff",
            "execution_days": "configuration",
            "salesforce_conditions": "configuration: field names and values written by staff",
        },
    )
