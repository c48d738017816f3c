"""Engage's settings plus django-post-office, for the peer in bench/post_office_peer.py only."""

from engage.settings import *  # noqa: F403
from engage.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "post_office"]
# As its documentation suggests for volume: 2 processes × 5 threads (one SMTP connection
# each), batches of 1,000, and only failures logged.
POST_OFFICE = {
    "BACKENDS": {"default": "django.core.mail.backends.smtp.EmailBackend"},
    "THREADS_PER_PROCESS": 5,
    "BATCH_SIZE": 1000,
    "LOG_LEVEL": 1,
}
