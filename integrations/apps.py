from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from engage import crypto, ports
        from integrations import gdpr, linking
        from integrations.activecampaign import gdpr as activecampaign_gdpr
        from integrations.activecampaign import services as activecampaign
        from integrations.activecampaign import signals as activecampaign_signals
        from integrations.activecampaign.models import ActiveCampaignConnection
        from integrations.webhooks.models import WebhookSecret

        crypto.register_encrypted(WebhookSecret, "encrypted")
        crypto.register_encrypted(ActiveCampaignConnection, "api_key_encrypted")
        gdpr.register()
        activecampaign_gdpr.register()
        activecampaign_signals.connect()
        ports.register_due_work(activecampaign.dispatch_due)
        ports.contact_added.connect(linking.link_notifications)
