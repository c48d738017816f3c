"""Shared by the benchmarks: a separate database, timing, and the result file."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "last-run.json"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/engage_bench"


def setup_django(database_url: str) -> None:
    """Point Django at a benchmark database (never the one tests or `make run` use)."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "engage.settings")
    sys.path.insert(0, str(BASE_DIR))
    if database_url.startswith("postgres"):
        _create_postgres_database(database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _create_postgres_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def median_ms(work: Callable[[], object], repeat: int = 7) -> float:
    work()  # warm the caches once
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def report(name: str, value: float, unit: str, target: str, passed: bool | None) -> None:
    """Print `name: value unit` and keep it in bench/last-run.json."""
    verdict = "" if passed is None else ("  [pass]" if passed else "  [FAIL]")
    print(f"{name}: {value:.1f} {unit}  (target {target}){verdict}", flush=True)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[name] = {"value": round(value, 3), "unit": unit, "target": target, "pass": passed}
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
