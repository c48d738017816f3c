from django.apps import AppConfig


class OpsConfig(AppConfig):
    """What concerns the whole project: commands (demo data, key rotation), readiness, metrics."""

    name = "ops"
