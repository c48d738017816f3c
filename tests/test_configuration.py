"""Configuration comes from the environment and fails loudly when it is wrong."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.checks import run_checks

from engage.checks import check_connection_budget, check_task_queue, connections_needed, server_max_connections

PRINT_ENGINE = (
    "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
)
PRINT_LEASE = "import django; django.setup(); from django.conf import settings; print(settings.ENGAGE_LEASE_SECONDS)"
UNINHERITED = {
    "DATABASE_URL",
    "REDIS_URL",
    "ENGAGE_LEASE_SECONDS",
    "ENGAGE_RUN_LEASE_SECONDS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser tests for their own process
}


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


# --- Database connections -----------------------------------------------------------------
PRINT_CONNECTIONS = (
    "import sys; sys.argv = ['manage.py'] + sys.argv[1:]; import django; django.setup(); "
    "from django.conf import settings; db = settings.DATABASES['default']; "
    "print(db['CONN_MAX_AGE'], db.get('OPTIONS', {}).get('pool', {}).get('max_size'))"
)
POSTGRES = "postgres://postgres@127.0.0.1:5432/engage"


def connections_of(*argv: str, **env) -> str:
    result = start_django(PRINT_CONNECTIONS.replace("sys.argv[1:]", repr(list(argv))), **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_postgresql_connections_come_from_a_pool_of_database_pool_size():
    assert connections_of("runserver", DATABASE_URL=POSTGRES, DATABASE_POOL_SIZE="6") == "0 6"


def test_the_task_cluster_forks_and_so_keeps_persistent_connections_instead_of_a_pool():
    assert connections_of("qcluster", DATABASE_URL=POSTGRES, DATABASE_POOL_SIZE="6") == "600 None"


def test_a_pool_size_of_zero_turns_the_pool_off():
    assert connections_of("runserver", DATABASE_URL=POSTGRES, DATABASE_POOL_SIZE="0", CONN_MAX_AGE="60") == "60 None"


def test_persistent_connections_and_a_pool_together_stop_the_start():
    result = start_django(DATABASE_URL=POSTGRES, DATABASE_POOL_SIZE="4", CONN_MAX_AGE="600")
    assert result.returncode != 0
    assert "CONN_MAX_AGE must be 0" in result.stderr


def test_a_task_cluster_takes_one_task_ahead_of_its_workers_whatever_their_number():
    """The rest wait in the broker, where the dispatcher's hold-back sees them."""
    code = "import django; django.setup(); from django_q.conf import Conf; print(Conf.QUEUE_LIMIT)"
    assert start_django(code, Q_WORKERS="4").stdout.strip() == "1"


def test_the_connections_needed_add_up_every_process(settings):
    settings.DATABASE_POOLED, settings.DATABASE_POOL_SIZE = True, 5
    settings.ENGAGE_WEB_SERVERS, settings.WEB_CONCURRENCY = 2, 3
    settings.ENGAGE_WORKER_CLUSTERS, settings.Q_CLUSTER = 2, {**settings.Q_CLUSTER, "workers": 4}
    settings.ENGAGE_DISPATCHERS = 1
    assert connections_needed() == 2 * 3 * 5 + 2 * (4 + 4) + 2


def test_check_warns_when_a_pool_is_smaller_than_the_threads_that_share_it(settings):
    settings.DATABASE_POOLED, settings.DATABASE_POOL_SIZE, settings.WEB_THREADS = True, 2, 4
    assert [w.id for w in check_connection_budget(None)] == ["engage.W004"]
    settings.DATABASE_POOL_SIZE = 4
    assert check_connection_budget(None) == []


@pytest.mark.postgres
@pytest.mark.django_db
def test_check_warns_when_the_processes_may_open_more_connections_than_postgresql_allows(settings):
    limit = server_max_connections()
    settings.ENGAGE_WEB_SERVERS = 1
    assert "engage.W003" not in [w.id for w in check_connection_budget(None, databases=["default"])]
    settings.ENGAGE_WEB_SERVERS = limit  # each server alone has at least one connection per process
    warnings = check_connection_budget(None, databases=["default"])
    assert "engage.W003" in [w.id for w in warnings]
    assert f"the server allows {limit}" in next(w.msg for w in warnings if w.id == "engage.W003")


def test_the_connection_check_asks_no_server_on_sqlite(settings):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("the suite runs on PostgreSQL here")
    settings.ENGAGE_WEB_SERVERS = 10_000
    assert check_connection_budget(None, databases=["default"]) == []


def test_the_documented_production_settings_pass_the_deployment_checks():
    production = (django_settings.BASE_DIR / "deploy" / "production.env.example").read_text().splitlines()
    env = dict(line.split("=", 1) for line in production if line and not line.startswith("#"))
    env["DATABASE_URL"] = "sqlite:///:memory:"  # the checks need no server
    env["REDIS_URL"] = ""
    result = start_django(
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('check', deploy=True, fail_level='WARNING')",
        **env,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
