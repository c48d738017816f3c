"""gunicorn, Engage's web server in production: `make serve` and the deployment examples
start it with this file (`gunicorn -c deploy/gunicorn.conf.py`).

WEB_CONCURRENCY worker processes (2) of WEB_THREADS threads (4) each: a request spends
most of its time waiting for PostgreSQL or Redis, so threads overlap that waiting, and each
thread borrows one connection from its process's pool (DATABASE_POOL_SIZE, as large as
WEB_THREADS). Two processes of four threads hold a 2-core machine busy; add processes, not
threads, for more cores (one or two per core).
"""

import os

wsgi_app = "engage.wsgi:application"
bind = os.environ.get("WEB_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
# A request running longer than this is a bug or a hung connection: its worker is replaced.
timeout = 30
# On SIGTERM workers stop taking requests and finish those they have, for this long.
graceful_timeout = 25
keepalive = 5
# Replace a worker now and then, so that memory a request left behind is given back.
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
# The proxy in front (TLS) may tell us the client's scheme and address; only it.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def worker_exit(server, worker) -> None:
    """A worker that stops (SIGTERM, max_requests) stores the API requests it counted."""
    from api import requestcount

    requestcount.flush()
