from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = _("Audience")  # as the admin's navigation names its section

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from contacts import gdpr
        from contacts import history as contacts_history
        from contacts.services import system_user_logged_on

        user_logged_in.connect(lambda sender, request, user, **kwargs: system_user_logged_on(user), weak=False)
        gdpr.register()
        contacts_history.register()
