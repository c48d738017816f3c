"""`make serve` in production: gunicorn with deploy/gunicorn.conf.py, static files from
WhiteNoise, a graceful stop on SIGTERM."""

from __future__ import annotations

import gzip
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, **headers) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def serving_environment(static_root: Path, database: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "x" * 50,
        "STATIC_ROOT": str(static_root),
        "DATABASE_URL": f"sqlite:///{database}",
        "WEB_CONCURRENCY": "2",
        "WEB_THREADS": "2",
    }
    env.pop("REDIS_URL", None)
    return env


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    """The static files collected once for the tests of this module, as `make serve` does."""
    root = tmp_path_factory.mktemp("static")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=settings.BASE_DIR, env=serving_environment(root, root / "unused.sqlite3"), check=True, timeout=180,
    )  # fmt: skip
    return root


@pytest.fixture
def server(tmp_path, static_root):
    env = serving_environment(static_root, tmp_path / "serve.sqlite3")
    address = f"127.0.0.1:{free_port()}"
    process = subprocess.Popen(
        [str(GUNICORN), "-c", "deploy/gunicorn.conf.py"],
        cwd=settings.BASE_DIR, env={**env, "WEB_BIND": address},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://{address}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if get(f"{base}/healthz")[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    yield base, process
    if process.poll() is None:
        process.kill()
        process.wait()


def test_gunicorn_serves_the_application_and_its_static_files(server):
    base, _process = server
    status, _headers, body = get(f"{base}/healthz")
    assert (status, body) == (200, b"ok")
    status, headers, body = get(f"{base}/static/admin/css/base.css", **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert b"body" in gzip.decompress(body)
    status, headers, _body = get(f"{base}/api/v1/nowhere")
    assert status == 404 and headers["Content-Type"] == "application/json"


def test_gunicorn_stops_on_sigterm(server):
    _base, process = server
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
