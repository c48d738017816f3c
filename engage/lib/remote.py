"""Who is on the other end of a request."""

from __future__ import annotations

from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address, for consent records and login lockouts.

    Behind a proxy, configure it to set REMOTE_ADDR (e.g. gunicorn --forwarded-allow-ips);
    X-Forwarded-For is not trusted here because anybody can send it.
    """
    return request.META.get("REMOTE_ADDR") or None
