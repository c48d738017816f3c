"""Engage settings: every value comes from the environment or a `.env` file.

The defaults are the embedded set-up (SQLite, django-q2's ORM broker, a mail sink on
127.0.0.1:1025). `DATABASE_URL` and `REDIS_URL` switch to PostgreSQL and Redis without
any code change. A malformed value stops the process at start with the variable's name.
"""

import base64
import re
import sys
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from import_export.formats.base_formats import CSV

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _int(name: str, default: int, minimum: int = 0) -> int:
    try:
        value = env.int(name, default=default)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer: {exc}") from exc
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(name: str, default: float) -> float:
    try:
        value = env.float(name, default=default)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number: {exc}") from exc
    if value <= 0:
        raise ImproperlyConfigured(f"{name} must be positive, got {value}")
    return value


def _bool(name: str, default: bool) -> bool:
    raw = env.str(name, default="").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {raw!r}")


DEBUG = _bool("DEBUG", False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set (or DEBUG=true for local use)")
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"  # noqa: S105
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
BASE_URL = env.str("BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # The admin's theme (sidebar, cards, filters, import/export forms): before Django's admin,
    # whose templates it overrides.
    "unfold.apps.BasicAppConfig",  # the site stays ours (ops/admin_site.py)
    "unfold.contrib.filters",
    "unfold.contrib.import_export",
    "ops.adminconfig.EngageAdminConfig",  # Django's admin, with the dashboard (ops/admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Before django_q: its qcluster command is engage's (heartbeats, recovery, graceful stop).
    "engage",
    "django_q",
    "anymail",
    "import_export",
    "contacts",
    "automations",
    "notifications",
    "integrations",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from the web process (compressed, cached), before anything else.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Errors no view handled, under /api/ and /oauth/, as JSON (500, and 503 with Retry-After).
    "api.middleware.ApiErrorMiddleware",
]

ROOT_URLCONF = "engage.urls"
WSGI_APPLICATION = "engage.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# SQLite by default. WAL lets readers and one writer work together, IMMEDIATE takes the
# write lock at BEGIN (so two writers queue on the busy timeout instead of failing with
# "database is locked" half-way through a transaction), and connections are reused.
try:
    DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'engage.sqlite3'}")}
except (ValueError, KeyError) as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
if DATABASES["default"]["ENGINE"] not in {"django.db.backends.sqlite3", "django.db.backends.postgresql"}:
    raise ImproperlyConfigured(
        "DATABASE_URL must be a sqlite:// or postgres:// URL (the two databases Engage supports)"
    )
IS_SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
# PostgreSQL: each process keeps a pool of at most DATABASE_POOL_SIZE connections (psycopg's
# pool, Django's OPTIONS["pool"]); a thread borrows one per request or task and gives it back.
# A web process needs one per thread (WEB_THREADS). The task cluster forks its workers after
# it has used the database, and a pool must not be shared across a fork: it connects without
# one. A pool and persistent connections (CONN_MAX_AGE) exclude each other.
DATABASE_POOL_SIZE = _int("DATABASE_POOL_SIZE", 4)
DATABASE_POOLED = not IS_SQLITE and DATABASE_POOL_SIZE > 0 and sys.argv[1:2] != ["qcluster"]
if DATABASE_POOLED:
    if _int("CONN_MAX_AGE", 0):
        raise ImproperlyConfigured(
            "CONN_MAX_AGE must be 0 (or unset) while DATABASE_POOL_SIZE is above 0: "
            "a pool and persistent connections exclude each other"
        )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_SIZE,
        # A request waits this long for a free connection, then fails (503) instead of hanging.
        "timeout": _float("DATABASE_POOL_TIMEOUT", 10.0),
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = _int("CONN_MAX_AGE", 600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if IS_SQLITE:
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": _int("SQLITE_BUSY_TIMEOUT", 30, minimum=1),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests use a file too (not :memory:), so that worker threads and processes share it.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "contacts.User"

# --- Cache and the task broker --------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"REDIS_URL must start with redis://, rediss:// or unix://, got {REDIS_URL!r}")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "engage_cache"}}

Q_CLUSTER = {
    "name": env.str("Q_CLUSTER_NAME", default="engage"),
    "workers": _int("Q_WORKERS", 2, minimum=1),
    "timeout": _int("Q_TIMEOUT", 120, minimum=1),
    # The broker re-delivers a task this many seconds after it was taken; our own leases
    # (Run.lease_expires_at) are what really protects a run, this only bounds the queue.
    "retry": _int("Q_RETRY", 180, minimum=2),
    "max_attempts": 1,
    # Our truth is in our own tables (runs, outbox): storing every successful task result
    # would only cost a write per task (the default of 250 caps a cluster at ~100 tasks/s).
    "save_limit": -1,
    "ack_failures": True,
    "poll": _float("Q_POLL", 0.05),
    # A cluster takes a task from the broker only when its own queue is empty (django-q2's
    # default takes workers² ahead). Tasks then wait in the broker, where the dispatcher sees
    # them and holds due runs back to claim them together, instead of queueing as small
    # batches behind each other inside the cluster.
    "queue_limit": 1,
    "bulk": _int("Q_BULK", 10, minimum=1),
    "catch_up": False,
    "label": "Task queue",
    "log_level": env.str("Q_LOG_LEVEL", default="WARNING"),
}
# How many processes of each kind run against this database, all machines together. The web
# server (gunicorn, deploy/gunicorn.conf.py) reads WEB_CONCURRENCY and WEB_THREADS itself; the
# connection check (engage.W003) adds up how many connections all of them may open.
WEB_CONCURRENCY = _int("WEB_CONCURRENCY", 2, minimum=1)
WEB_THREADS = _int("WEB_THREADS", 4, minimum=1)
ENGAGE_WEB_SERVERS = _int("ENGAGE_WEB_SERVERS", 1, minimum=1)
ENGAGE_WORKER_CLUSTERS = _int("ENGAGE_WORKER_CLUSTERS", 1, minimum=1)
ENGAGE_DISPATCHERS = _int("ENGAGE_DISPATCHERS", 1, minimum=1)
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
Q_CLUSTER["sync"] = _bool("Q_SYNC", False)

# --- Passwords ------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Zurich")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "var" / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise looks at it when a process starts
# `make serve` collects them; WhiteNoise serves them, gzip and Brotli compressed where smaller.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Mail -----------------------------------------------------------------------------
# EMAIL_URL selects an SMTP server (smtp://, smtp+tls://, smtp+ssl://); EMAIL_BACKEND may
# name any other Django/anymail backend instead (then ANYMAIL_* variables configure it).
try:
    _email = env.email_url("EMAIL_URL", default="smtp://127.0.0.1:1025")
except (ValueError, KeyError) as exc:
    raise ImproperlyConfigured(f"EMAIL_URL is not a valid mail URL: {exc}") from exc
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default=_email["EMAIL_BACKEND"])
EMAIL_HOST = _email["EMAIL_HOST"]
EMAIL_PORT = _email["EMAIL_PORT"]
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = _int("EMAIL_TIMEOUT", 30, minimum=1)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Engage <noreply@engage.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ANYMAIL = {key[len("ANYMAIL_") :]: value for key, value in env.ENVIRON.items() if key.startswith("ANYMAIL_")}

# Contacts are exported as CSV (Excel opens it; no extra format libraries needed).
EXPORT_FORMATS = [CSV]

# --- Automations and the outbox -------------------------------------------------------
# How long a claimed run or outbox mail belongs to its worker; after that one whose worker
# died is picked up again. Longer than the slowest task (engage.E002), shorter than what a
# user would wait. ENGAGE_RUN_LEASE_SECONDS, its former name, is read when it is not set.
ENGAGE_LEASE_SECONDS = _int(
    "ENGAGE_LEASE_SECONDS" if "ENGAGE_LEASE_SECONDS" in env.ENVIRON else "ENGAGE_RUN_LEASE_SECONDS", 300, minimum=10
)
# How many times a run that meets a transient error is tried before it fails; in between
# it waits 1, 2, 4 … minutes, at most an hour.
ENGAGE_RUN_MAX_ATTEMPTS = _int("ENGAGE_RUN_MAX_ATTEMPTS", 5, minimum=1)
# A mail the server did not take for now (4xx, unreachable, ESP 5xx) is retried like a mail
# server does: after 1, 2, 4 … minutes, at most ENGAGE_MAIL_RETRY_MAX_MINUTES apart, for
# ENGAGE_MAIL_RETRY_HOURS after it was queued; then it fails.
ENGAGE_MAIL_RETRY_MAX_MINUTES = _int("ENGAGE_MAIL_RETRY_MAX_MINUTES", 30, minimum=1)
ENGAGE_MAIL_RETRY_HOURS = _int("ENGAGE_MAIL_RETRY_HOURS", 72, minimum=1)
ENGAGE_DISPATCH_BATCH_SIZE = _int("ENGAGE_DISPATCH_BATCH_SIZE", 100, minimum=1)
# Each task cluster and dispatcher beats every second in a row of its own; one silent for
# ENGAGE_PROCESS_STALE_SECONDS is taken for dead, and what its workers held is given back at
# once instead of when the leases run out. Keep it well above a database restart (a few
# seconds): a live process taken for dead loses its claims (nothing runs twice, but mail
# accepted and not yet recorded is sent again).
ENGAGE_PROCESS_STALE_SECONDS = _int("ENGAGE_PROCESS_STALE_SECONDS", 10, minimum=3)
# SIGTERM to a task cluster: its workers finish the run or mail in hand and give the rest
# back; what still runs after this many seconds is killed and given back.
ENGAGE_STOP_SECONDS = _int("ENGAGE_STOP_SECONDS", 8, minimum=1)
ENGAGE_DISPATCH_INTERVAL = _float("ENGAGE_DISPATCH_INTERVAL", 0.1)
# Finished runs (and events no run needs any more) are deleted after this many days.
ENGAGE_RUN_RETENTION_DAYS = _int("ENGAGE_RUN_RETENTION_DAYS", 30, minimum=1)
# How many "automation finished" events may start each other in a row (the loop guard).
ENGAGE_MAX_CHAIN_DEPTH = _int("ENGAGE_MAX_CHAIN_DEPTH", 5, minimum=1)

# Default sending rate limit of each organization (shared by all workers, stored per organization).
ENGAGE_MAILS_PER_MINUTE = _int("ENGAGE_MAILS_PER_MINUTE", 600, minimum=1)
# ActiveCampaign allows 5 requests a second per account; changes to a pooled contact made
# within this many seconds are pushed as one sync.
ENGAGE_ACTIVECAMPAIGN_REQUESTS_PER_SECOND = _float("ENGAGE_ACTIVECAMPAIGN_REQUESTS_PER_SECOND", 5.0)
ENGAGE_ACTIVECAMPAIGN_COALESCE_SECONDS = _float("ENGAGE_ACTIVECAMPAIGN_COALESCE_SECONDS", 1.0)
# Campaign mail (marketing, with List-Unsubscribe) draws from a bucket of its own.
ENGAGE_CAMPAIGN_MAILS_PER_MINUTE = _int("ENGAGE_CAMPAIGN_MAILS_PER_MINUTE", 3000, minimum=1)
# SMTP connections a sender opens in parallel to one mail server (one per 50 mails of a
# batch, up to this many); ENGAGE_SMTP_CONNECTIONS_PER_HOST caps it for a server that allows
# fewer ("smtp.example.com=2,relay.example.org=1"). An idle connection stays open for the
# next batch for ENGAGE_SMTP_KEEP_OPEN_SECONDS.
ENGAGE_SMTP_CONNECTIONS = _int("ENGAGE_SMTP_CONNECTIONS", 4, minimum=1)
try:
    ENGAGE_SMTP_CONNECTIONS_PER_HOST = {
        host.strip().lower(): max(1, int(count))
        for host, count in env.dict("ENGAGE_SMTP_CONNECTIONS_PER_HOST", default={}).items()
    }
except ValueError as exc:
    raise ImproperlyConfigured(f"ENGAGE_SMTP_CONNECTIONS_PER_HOST must be host=count pairs: {exc}") from exc
ENGAGE_SMTP_KEEP_OPEN_SECONDS = _float("ENGAGE_SMTP_KEEP_OPEN_SECONDS", 30.0)

# Fernet keys for secrets at rest, newest first (see engage/crypto.py).
ENGAGE_ENCRYPTION_KEYS = env.list("ENGAGE_ENCRYPTION_KEYS", default=[])
for _key in ENGAGE_ENCRYPTION_KEYS:
    try:
        if len(base64.urlsafe_b64decode(_key.encode())) != 32:
            raise ValueError("not 32 bytes")
    except ValueError as exc:
        raise ImproperlyConfigured(f"ENGAGE_ENCRYPTION_KEYS holds a key that is not a Fernet key: {exc}") from exc

# Outbound HTTP (webhook jobs) refuses private and loopback addresses unless this is set.
ENGAGE_HTTP_ALLOW_PRIVATE = _bool("ENGAGE_HTTP_ALLOW_PRIVATE", False)

# --- Security -------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Behind a proxy that ends TLS: the header it sets to "https" for requests that came over it,
# e.g. SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto (only if the proxy always sets or strips it).
_proxy_header = env.str("SECURE_PROXY_SSL_HEADER", default="").strip()
if _proxy_header:
    if not re.fullmatch(r"[A-Za-z0-9-]+", _proxy_header):
        raise ImproperlyConfigured(f"SECURE_PROXY_SSL_HEADER must be a header name, got {_proxy_header!r}")
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")
SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT", False)
# Load balancers probe over plain HTTP on the inside.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = _int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = _bool("SECURE_HSTS_PRELOAD", False)
# Content-Security-Policy (django-csp) on every page: scripts only from our own static files or
# inline with the request's nonce; inline styles are allowed (the admin's and our templates'
# style attributes); images also over https and data: (a prepared message's preview shows the
# mail's own images).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "https:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# The admin's theme (unfold): the sidebar lists the site's sections (ops/admin_site.py), so
# what a user sees there follows the same permissions as the index page.
UNFOLD = {
    "SITE_TITLE": "Engage",
    "SITE_HEADER": "Engage",
    "SITE_SYMBOL": "mail",
    "SIDEBAR": {
        "show_search": False,
        "show_all_applications": False,
        "navigation": "ops.admin_site.sidebar_navigation",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own console handler would print its records a second time through root.
        "django": {"handlers": [], "propagate": True},
        "django-q": {"level": env.str("Q_LOG_LEVEL", default="WARNING")},
        "mail.log": {"level": "WARNING"},  # aiosmtpd: one line per SMTP command otherwise
    },
}

# --- Sender domains and TLS (notifications) -------------------------------------------
# What every sender domain's SPF record must allow so that the host's servers may send for
# it, space-separated SPF mechanisms, e.g. "include:_spf.mail.example.net ip4:203.0.113.5".
ENGAGE_SPF_INCLUDE = env.str("ENGAGE_SPF_INCLUDE", default="").split()
_SPF_MECHANISM = r"(include|exists):\S+|ip4:[\d.]+(/\d+)?|ip6:[\da-f:]+(/\d+)?|(a|mx)(:\S+)?"
for _mechanism in ENGAGE_SPF_INCLUDE:
    if not re.fullmatch(_SPF_MECHANISM, _mechanism.lower()):
        raise ImproperlyConfigured(f"ENGAGE_SPF_INCLUDE holds {_mechanism!r}, which is not an SPF mechanism")
# Seconds a DNS check of a sender domain waits for each record.
ENGAGE_DNS_TIMEOUT = _float("ENGAGE_DNS_TIMEOUT", 5.0)
# A PEM file of the certificate authorities that SMTP servers' certificates are checked
# against instead of the system's (SSL_CERT_FILE changes the system's for the whole process).
ENGAGE_SMTP_CA_FILE = env.str("ENGAGE_SMTP_CA_FILE", default="")
if ENGAGE_SMTP_CA_FILE and not Path(ENGAGE_SMTP_CA_FILE).is_file():
    raise ImproperlyConfigured(f"ENGAGE_SMTP_CA_FILE is not a file: {ENGAGE_SMTP_CA_FILE}")


# Replies: mails of a conversation get Reply-To "<local>+<conversation id>@<domain>" of this
# address (the provider's inbound route for it posts to /webhooks/anymail/<esp>/inbound/).
ENGAGE_REPLY_ADDRESS = env.str("ENGAGE_REPLY_ADDRESS", default="")
if ENGAGE_REPLY_ADDRESS and ENGAGE_REPLY_ADDRESS.count("@") != 1:
    raise ImproperlyConfigured(f"ENGAGE_REPLY_ADDRESS is not an e-mail address: {ENGAGE_REPLY_ADDRESS!r}")

# --- Integration API (api/) -----------------------------------------------------------
INSTALLED_APPS += [
    app
    for app in ("rest_framework", "django_filters", "drf_spectacular", "drf_spectacular_sidecar", "api")
    if app not in INSTALLED_APPS
]
# Requests per minute and API key (or OAuth client), shared by every process through the cache.
ENGAGE_API_REQUESTS_PER_MINUTE = _int("ENGAGE_API_REQUESTS_PER_MINUTE", 1200, minimum=1)
ENGAGE_API_TOKEN_SECONDS = _int("ENGAGE_API_TOKEN_SECONDS", 3600, minimum=60)
ENGAGE_API_IDEMPOTENCY_HOURS = _int("ENGAGE_API_IDEMPOTENCY_HOURS", 24, minimum=24)
# A request body larger than this is refused with 413 before it is read.
ENGAGE_API_MAX_BODY_BYTES = _int("ENGAGE_API_MAX_BODY_BYTES", 10 * 1024 * 1024, minimum=1024)
# Django's own limit on a body read into memory; an agentless mail may have 3 MB of body.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(ENGAGE_API_MAX_BODY_BYTES, 2_621_440)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.BearerAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.CredentialRateThrottle"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_METADATA_CLASS": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Engage integration API",
    "DESCRIPTION": "Contacts, events, groups, automations and mail of one organization. "
    "Authenticate with `Authorization: Bearer <API key or access token>`. "
    "Every error has the same shape (see the Problem schema).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "APPEND_COMPONENTS": {"securitySchemes": {"basicAuth": {"type": "http", "scheme": "basic"}}},
    "ENUM_NAME_OVERRIDES": {
        "ApiScopeEnum": "api.models.Scope",
        "RunStatusEnum": "automations.models.Run.Status",
        "MessageStatusEnum": "notifications.models.OutboundMessage.Status",
        "MembershipStateEnum": "contacts.models.Membership.State",
        "AttributeTypeEnum": "contacts.models.AttributeDefinition.Type",
        "EventTypeEnum": "engage.events.EventType",
        "ContactEventTypeEnum": "api.serializers.CONTACT_EVENT_TYPES",
    },
}

# --- Project-wide commands, readiness and metrics (ops/) -------------------------------
# Last: its commands (seed_demo, rotate_encryption_keys) and its metrics use every other app.
INSTALLED_APPS += ["ops"]
# /metrics answers whoever sends "Authorization: Bearer <this>"; unset, only clients on this
# machine that did not come through a proxy.
ENGAGE_METRICS_TOKEN = env.str("ENGAGE_METRICS_TOKEN", default="")
