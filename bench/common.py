"""Shared by the benchmarks: a separate database, timing, and the result file."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "last-run.json"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/engage_bench"


def setup_django(database_url: str) -> None:
    """Point Django at a benchmark database (never the one tests or `make run` use)."""
    os.environ["DATABASE_URL"] = database_url
    # As in production: DEBUG off (it records every query), so a key of our own.
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
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


# --- Real worker processes and a mail sink on loopback ---------------------------------


class Sink:
    """An SMTP server that notes when each recipient's mail arrived."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        now = time.time()
        with self.lock:
            for recipient in envelope.rcpt_tos:
                self.arrivals.setdefault(recipient, now)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def rss_mb(pid: int) -> float:
    total = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            total = int(line.split()[1]) / 1024
    return total


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "stat").read_text().split()[3] == str(pid):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def wait_until(condition, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


def start_workers(env: dict[str, str], names: tuple[str, ...] = ("qcluster", "dispatcher")) -> list[subprocess.Popen]:
    """Start the task cluster and the dispatcher as `make run` does, each in its own group."""
    return [
        subprocess.Popen([sys.executable, "manage.py", name], cwd=BASE_DIR, env=env, start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for name in names
    ]  # fmt: skip


def stop_workers(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)
