from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from engage import crypto, ports
        from integrations import gdpr, linking
        from integrations import history as integrations_history
        from integrations.activecampaign import gdpr as activecampaign_gdpr
        from integrations.activecampaign import services as activecampaign
        from integrations.activecampaign import signals as activecampaign_signals
        from integrations.activecampaign.models import ActiveCampaignConnection
        from integrations.salesforce import selectors as salesforce
        from integrations.webhooks.models import WebhookSecret

        crypto.register_encrypted(WebhookSecret, "encrypted")
        crypto.register_encrypted(ActiveCampaignConnection, "api_key_encrypted")
        gdpr.register()
        integrations_history.register()
        activecampaign_gdpr.register()
        activecampaign_signals.connect()
        ports.register_due_work(activecampaign.dispatch_due)
        ports.contact_added.connect(linking.link_notifications)
        ports.contacts_changed.connect(activecampaign.queue_contacts_sync)
        ports.salesforce_choices.connect(salesforce.salesforce_choices)
        ports.salesforce_record_fields.connect(salesforce.salesforce_record_fields)
