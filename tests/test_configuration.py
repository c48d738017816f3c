"""Configuration comes from the environment and fails loudly when it is wrong."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.checks import run_checks

from engage.checks import check_task_queue

PRINT_ENGINE = (
    "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
)
PRINT_LEASE = "import django; django.setup(); from django.conf import settings; print(settings.ENGAGE_LEASE_SECONDS)"
UNINHERITED = {"DATABASE_URL", "REDIS_URL", "ENGAGE_LEASE_SECONDS", "ENGAGE_RUN_LEASE_SECONDS"}


def start_django(code: str = PRINT_ENGINE, **env) -> subprocess.CompletedProcess:
    """Start a fresh interpreter that loads the settings with the given environment."""
    environment = {k: v for k, v in os.environ.items() if k not in UNINHERITED}
    environment.update(env)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            code,
        ],
        env={**environment, "DJANGO_SETTINGS_MODULE": "engage.settings"},
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("Q_WORKERS", "many"),
        ("Q_TIMEOUT", "-5"),
        ("DEBUG", "perhaps"),
        ("REDIS_URL", "localhost:6379"),
        ("DATABASE_URL", "nosuchdb://x"),
        ("ENGAGE_DISPATCH_INTERVAL", "0"),
        ("ENGAGE_LEASE_SECONDS", "5"),
        ("ENGAGE_RUN_LEASE_SECONDS", "soon"),
        ("ENGAGE_MAIL_RETRY_HOURS", "0"),
        ("ENGAGE_MAIL_RETRY_MAX_MINUTES", "soon"),
    ],
)
def test_malformed_values_stop_the_start_and_name_the_variable(variable, value):
    result = start_django(**{variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr


@pytest.mark.parametrize(
    ("env", "seconds"),
    [
        ({}, "300"),
        ({"ENGAGE_LEASE_SECONDS": "240"}, "240"),
        ({"ENGAGE_RUN_LEASE_SECONDS": "180"}, "180"),  # the former name
        ({"ENGAGE_LEASE_SECONDS": "240", "ENGAGE_RUN_LEASE_SECONDS": "180"}, "240"),
    ],
)
def test_the_lease_is_read_from_engage_lease_seconds_or_its_former_name(env, seconds):
    result = start_django(PRINT_LEASE, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == seconds


def test_secret_key_is_required_outside_debug():
    result = start_django(DEBUG="false", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_database_url_switches_to_postgresql_without_code_change():
    result = start_django(DATABASE_URL="postgres://postgres@127.0.0.1:5432/test")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.postgresql"


@pytest.mark.django_db
def test_sqlite_is_tuned_for_concurrent_writers():
    if django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("the suite runs on PostgreSQL here; the SQLite settings are checked on the SQLite run")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 1000
    options = django_settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert django_settings.DATABASES["default"]["CONN_MAX_AGE"] > 0


def test_check_refuses_a_retry_not_larger_than_timeout(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 120, "retry": 120}
    assert [e.id for e in check_task_queue(None)] == ["engage.E001"]
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 120, "retry": 121}
    assert check_task_queue(None) == []


def test_check_refuses_a_lease_shorter_than_the_task_timeout(settings):
    settings.ENGAGE_LEASE_SECONDS = 60
    assert "engage.E002" in [e.id for e in check_task_queue(None)]


def test_the_shipped_configuration_passes_every_check():
    assert [m for m in run_checks() if m.level >= 30] == []
