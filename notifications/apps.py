from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Messages")  # as the admin's navigation names its section

    def ready(self) -> None:
        from engage import crypto, ports
        from engage.lib import leases
        from notifications import checks, contact_mails, gdpr, receivers, sendouts, services  # noqa: F401  (signals, checks)
        from notifications import history as notifications_history
        from notifications.models import MailSettings, OutboundMessage, SenderDomain, Sendout

        leases.register(
            OutboundMessage,
            status=OutboundMessage.Status.SENDING,
            back_to=OutboundMessage.Status.QUEUED,
            hand_on=services.hand_to_worker,
        )
        leases.register(
            Sendout,
            status=Sendout.Status.SENDING,
            back_to=Sendout.Status.SENDING,
            hand_on=sendouts.hand_sendouts,
        )
        crypto.register_encrypted(MailSettings, "smtp_password", "esp_credentials")
        crypto.register_encrypted(OutboundMessage, "secret_values")
        crypto.register_encrypted(SenderDomain, "dkim_private_key")
        gdpr.register()
        notifications_history.register()
        ports.queue_contact_mail.connect(contact_mails.queue_contact_mail)
