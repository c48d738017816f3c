"""The job registry: every installed app of the project may bring jobs in a `jobs` package
(an integration in `<app>/<integration>/jobs/`); each module in it that defines `Job` is a
job kind, keyed by the module's name. The engine finds them here and imports no vendor."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from django.apps import apps
from django.conf import settings

from automations.jobs.base import BaseJob


def _job_packages() -> Iterator[str]:
    """`<app>.jobs` and `<app>.<package>.jobs` of the project's own apps."""
    for config in apps.get_app_configs():
        if Path(config.path).parent != Path(settings.BASE_DIR):
            continue  # third-party apps bring no jobs
        names = [f"{config.name}.jobs"]
        names += [f"{config.name}.{sub.name}.jobs" for sub in pkgutil.iter_modules([config.path]) if sub.ispkg]
        for name in names:
            spec = importlib.util.find_spec(name)
            if spec is not None and spec.submodule_search_locations:
                yield name


@cache
def registry() -> dict[str, type[BaseJob]]:
    jobs: dict[str, type[BaseJob]] = {}
    for package_name in _job_packages():
        package = importlib.import_module(package_name)
        for module_info in pkgutil.iter_modules(package.__path__):
            if module_info.name == "base" or module_info.name.startswith("_"):
                continue
            module = importlib.import_module(f"{package_name}.{module_info.name}")
            job = getattr(module, "Job", None)
            if isinstance(job, type) and issubclass(job, BaseJob):
                if module_info.name in jobs:
                    raise RuntimeError(f"Two jobs are named {module_info.name!r}: {package_name} and another app.")
                job.key = module_info.name
                jobs[module_info.name] = job
    return dict(sorted(jobs.items(), key=lambda item: str(item[1].label)))


def get_job(key: str) -> type[BaseJob] | None:
    return registry().get(key)


def job_choices() -> list[tuple[str, str]]:
    return [(key, f"{job.label} ({job.scope_label()})") for key, job in registry().items()]
