"""django-q2 task entry points: take ids or tokens, call a service."""

from automations import maintenance, services


def execute_runs(token: str) -> int:
    return services.execute_runs(token)


def purge_old_runs() -> tuple[int, int]:
    return maintenance.purge_old_runs()


def send_failure_digests() -> int:
    return maintenance.send_failure_digests()
