"""django-q2 task entry points: take ids or tokens, call a service."""

from automations import maintenance, services
from automations.models import Run
from engage import recovery


def execute_runs(token: str) -> int:
    # Given back, not failed, when the database goes away or the cluster stops.
    return recovery.run_claimed(Run, token, services.execute_runs)


def purge_old_runs() -> tuple[int, int]:
    return maintenance.purge_old_runs()


def send_failure_digests() -> int:
    return maintenance.send_failure_digests()
