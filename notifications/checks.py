from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def webhook_secret_check(app_configs, **kwargs) -> list:
    """Without a shared secret the provider webhooks accept anybody's events (a deployment
    check: `manage.py check --deploy`)."""
    if (getattr(settings, "ANYMAIL", None) or {}).get("WEBHOOK_SECRET"):
        return []
    return [
        Warning(
            "ANYMAIL_WEBHOOK_SECRET is not set: the provider webhooks under /webhooks/anymail/ accept unsigned posts.",
            hint="Set ANYMAIL_WEBHOOK_SECRET=user:password and configure the same basic auth in the provider's "
            "webhook URLs.",
            id="notifications.W001",
        )
    ]


@register(deploy=True)
def spf_include_check(app_configs, **kwargs) -> list:
    """Sender domains are told to publish an SPF record allowing the host's servers; without
    ENGAGE_SPF_INCLUDE that record would allow none (`manage.py check --deploy`)."""
    if settings.ENGAGE_SPF_INCLUDE:
        return []
    return [
        Warning(
            "ENGAGE_SPF_INCLUDE is not set: sender domains are shown an SPF record that allows no mail server.",
            hint="Set ENGAGE_SPF_INCLUDE to the SPF mechanisms of the servers Engage sends through, "
            "e.g. include:_spf.mail.example.net ip4:203.0.113.5.",
            id="notifications.W002",
        )
    ]
