"""`migrate` alone creates everything the processes need, the cache table too."""

import os
import sqlite3
import subprocess
import sys

from django.conf import settings


def test_migrate_alone_creates_the_cache_table(tmp_path):
    database = tmp_path / "fresh.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "REDIS_URL": "", "DEBUG": "true"}
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    tables = {name for (name,) in sqlite3.connect(database).execute("SELECT name FROM sqlite_master")}
    assert "engage_cache" in tables
