"""Sender domains: which from addresses an organization may use.

A domain is *verified* once its verification TXT record is found, or both its SPF and
DKIM records are (see `check_dns`). Only verified domains may appear in from addresses.
"""

from __future__ import annotations

from email.utils import parseaddr

from contacts.models import Organization
from notifications.models import SenderDomain, normalize_domain


def domain_of(address: str) -> str:
    """The normalised domain of an address ("Name <a@Example.COM>" → "example.com"), or ""."""
    _, bare = parseaddr(address or "")
    if "@" not in bare:
        return ""
    return normalize_domain(bare.rsplit("@", 1)[1])


def is_verified_sender(organization: Organization | None, address: str) -> bool:
    """True if the address's domain (exact match, no subdomains) is a verified sender
    domain of the organization."""
    domain = domain_of(address)
    if organization is None or not domain:
        return False
    return SenderDomain.objects.filter(organization=organization, domain=domain, verified_at__isnull=False).exists()
