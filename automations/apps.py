from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationsConfig(AppConfig):
    name = "automations"
    verbose_name = _("Automations")

    def ready(self) -> None:
        from automations import gdpr, services
        from automations import history as automations_history
        from automations.jobs import registry
        from automations.jobs.base import rotate_encrypted_params
        from automations.models import Automation, Run
        from engage import crypto, events, ports
        from engage.lib import leases

        leases.register(
            Run, status=Run.Status.RUNNING, back_to=Run.Status.SCHEDULED, hand_on=services._start_in_batches
        )
        events.register_handler(services.record_events, listened=services.listened)
        ports.organization_created.connect(services.set_up_organization)
        crypto.register_encrypted(Automation, rotate_row=rotate_encrypted_params)
        gdpr.register()
        automations_history.register()
        registry()  # every job now, so that the sentences of their notes are known (engage.notes)
