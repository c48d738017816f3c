"""django-q2 task entry points: take ids or tokens, call a service."""

from automations import services


def execute_runs(token: str) -> int:
    return services.execute_runs(token)
