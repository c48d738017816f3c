"""System checks: configuration mistakes fail at `manage.py check`, not at 3 a.m."""

from django.conf import settings
from django.core.checks import Error, register


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
