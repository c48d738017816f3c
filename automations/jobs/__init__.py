"""The job registry: every module in this package that defines `Job` is a job kind."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from automations.jobs.base import BaseJob

_NOT_JOBS = {"base"}


@cache
def registry() -> dict[str, type[BaseJob]]:
    jobs: dict[str, type[BaseJob]] = {}
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name in _NOT_JOBS or module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        job = getattr(module, "Job", None)
        if isinstance(job, type) and issubclass(job, BaseJob):
            job.key = module_info.name
            jobs[module_info.name] = job
    return dict(sorted(jobs.items(), key=lambda item: str(item[1].label)))


def get_job(key: str) -> type[BaseJob] | None:
    return registry().get(key)


def job_choices() -> list[tuple[str, str]]:
    return [(key, f"{job.label} ({job.scope_label()})") for key, job in registry().items()]
