from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Management commands about the whole project (demo data, key rotation)."""

    name = "ops"
