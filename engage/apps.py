from django.apps import AppConfig
from django.db.models.signals import post_migrate


class EngageConfig(AppConfig):
    name = "engage"
    verbose_name = "Engage"

    def ready(self) -> None:
        from engage import checks  # noqa: F401  (registers the system checks)

        # Sent once per app with models (engage has none): creating the table is idempotent
        # and costs one look at the schema when it exists.
        post_migrate.connect(create_cache_table, dispatch_uid="engage.create_cache_table")


def create_cache_table(using: str = "default", **kwargs) -> None:
    """`migrate` alone sets up everything the processes need: the database cache's table
    too (the cache of the set-up without Redis; with Redis this does nothing)."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)
