from django.apps import AppConfig


class EngageConfig(AppConfig):
    name = "engage"
    verbose_name = "Engage"

    def ready(self) -> None:
        from engage import checks  # noqa: F401  (registers the system checks)
