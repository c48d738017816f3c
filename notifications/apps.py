from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from engage import crypto, ports
        from notifications import checks, contact_mails, gdpr, receivers  # noqa: F401  (connects signals and checks)
        from notifications import history as notifications_history
        from notifications.models import MailSettings, OutboundMessage, SenderDomain

        crypto.register_encrypted(MailSettings, "smtp_password", "esp_credentials")
        crypto.register_encrypted(OutboundMessage, "secret_values")
        crypto.register_encrypted(SenderDomain, "dkim_private_key")
        gdpr.register()
        notifications_history.register()
        ports.queue_contact_mail.connect(contact_mails.queue_contact_mail)
