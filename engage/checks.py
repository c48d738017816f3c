"""System checks: configuration mistakes fail at `manage.py check`, not at 3 a.m."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError, connections


@register()
def check_task_queue(app_configs, **kwargs) -> list[Error]:
    errors = []
    conf = settings.Q_CLUSTER
    timeout, retry = conf.get("timeout"), conf.get("retry")
    if timeout is not None and retry is not None and retry <= timeout:
        # django-q2 hands a task to a second worker after `retry` seconds: if that is not
        # longer than `timeout`, a slow task runs twice at the same time.
        errors.append(
            Error(
                f"Q_CLUSTER retry ({retry}s) must be larger than timeout ({timeout}s).",
                hint="Set Q_RETRY larger than Q_TIMEOUT.",
                id="engage.E001",
            )
        )
    lease = settings.ENGAGE_LEASE_SECONDS
    if timeout is not None and lease <= timeout:
        errors.append(
            Error(
                f"ENGAGE_LEASE_SECONDS ({lease}s) must be larger than Q_CLUSTER timeout ({timeout}s).",
                hint="The lease of a run or a mail must outlive the task that executes or sends it.",
                id="engage.E002",
            )
        )
    return errors


def connections_needed() -> int:
    """The most connections every process of the deployment together may hold at once.

    A web process holds at most its pool (without one, one per thread); a worker cluster one
    per worker process plus its sentinel, monitor, pusher and main process (heartbeat and
    recovery); a dispatcher two (its loop and its heartbeat).
    """
    per_web = settings.DATABASE_POOL_SIZE if settings.DATABASE_POOLED else settings.WEB_THREADS
    web = settings.ENGAGE_WEB_SERVERS * settings.WEB_CONCURRENCY * per_web
    workers = settings.ENGAGE_WORKER_CLUSTERS * (settings.Q_CLUSTER["workers"] + 4)
    return web + workers + settings.ENGAGE_DISPATCHERS * 2


def server_max_connections(alias: str = "default") -> int | None:
    """PostgreSQL's max_connections, or None for SQLite or a server that cannot be asked."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW max_connections")
            return int(cursor.fetchone()[0])
    except DatabaseError:
        return None


@register(Tags.database)
def check_connection_budget(app_configs, databases=None, **kwargs) -> list[Warning]:
    """Runs with `migrate` and `check --database default`: it asks the server."""
    warnings = []
    if settings.DATABASE_POOLED and settings.DATABASE_POOL_SIZE < settings.WEB_THREADS:
        warnings.append(
            Warning(
                f"DATABASE_POOL_SIZE ({settings.DATABASE_POOL_SIZE}) is smaller than WEB_THREADS "
                f"({settings.WEB_THREADS}): requests wait for a connection.",
                hint="Give each web process a pool as large as its thread count.",
                id="engage.W004",
            )
        )
    if "default" not in (databases or []):
        return warnings
    limit = server_max_connections()
    needed = connections_needed()
    if limit is not None and needed > limit:
        warnings.append(
            Warning(
                f"The processes configured may open {needed} database connections; the server allows {limit}.",
                hint="Lower DATABASE_POOL_SIZE, WEB_CONCURRENCY or Q_WORKERS, or raise PostgreSQL's "
                "max_connections (ENGAGE_WEB_SERVERS, ENGAGE_WORKER_CLUSTERS and ENGAGE_DISPATCHERS "
                "say how many of each run).",
                id="engage.W003",
            )
        )
    return warnings
