"""The one outbound HTTP client of Engage (jobs that call other systems use it).

It refuses private, loopback, link-local and other non-public addresses when the socket is
opened, not when the URL is read: the host name is resolved once, every address it has is
checked, and the connection goes to the checked address. So a redirect to an internal host
or a DNS answer that changes between check and connect (rebinding) cannot reach inside.
ENGAGE_HTTP_ALLOW_PRIVATE turns the check off, for a laptop or a test that talks to itself.
"""

from __future__ import annotations

import ipaddress
import socket

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

USER_AGENT = "Engage/1.0 (+automation webhook)"
MAX_REDIRECTS = 3


class ForbiddenAddress(NewConnectionError):
    """The host resolves to an address Engage must not call."""


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_global and not ip.is_multicast


def checked_address(host: str, port: int) -> str:
    """The address to connect to, after checking every address the host has."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [info[4][0] for info in infos]
    if not settings.ENGAGE_HTTP_ALLOW_PRIVATE:
        refused = [a for a in addresses if not is_public(a)]
        if refused:
            raise ForbiddenAddress(None, f"{host} resolves to a non-public address ({refused[0]}); refusing to connect")
    return addresses[0]


class _Checked:
    def _new_conn(self):
        self._dns_host = checked_address(self.host, self.port)  # connect to exactly the address checked
        return super()._new_conn()


class SafeHTTPConnection(_Checked, HTTPConnection):
    pass


class SafeHTTPSConnection(_Checked, HTTPSConnection):
    pass


class SafeHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = SafeHTTPConnection


class SafeHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = SafeHTTPSConnection


class SafeAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": SafeHTTPConnectionPool, "https": SafeHTTPSConnectionPool}


def session() -> requests.Session:
    http = requests.Session()
    http.max_redirects = MAX_REDIRECTS
    http.headers["User-Agent"] = USER_AGENT
    adapter = SafeAdapter(max_retries=0)
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    return http


def request(method: str, url: str, *, timeout: float = 10.0, **kwargs) -> requests.Response:
    with session() as http:
        return http.request(method, url, timeout=timeout, **kwargs)
