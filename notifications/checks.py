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
